package portal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"

	"gocloud.dev/blob"

	"github.com/lanes-dev/lanes/ent"
	"github.com/lanes-dev/lanes/ent/automation"
	"github.com/lanes-dev/lanes/ent/project"
	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/ent/todo"
	"github.com/lanes-dev/lanes/policies"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/events"
	"github.com/lanes-dev/lanes/sdk/internal/entx"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
	"github.com/lanes-dev/lanes/tenant"
)

// Limits of the wishes form.
const (
	MaxWishesBytes = 64 << 10
	MaxWishesKeys  = 500
)

// SubmitWishes stores a wishes submission (a JSON object) for the project,
// if its status unlocks WISHES. The latest submission is the project's
// wishes; earlier ones are kept.
func (s *Service) SubmitWishes(ctx context.Context, projectID pulid.ID, answers map[string]any) (*Wishes, error) {
	var out *Wishes
	err := entx.WithTx(ctx, s.cfg.Client, func(ctx context.Context, c *ent.Client) error {
		p, a, err := s.useFeature(ctx, c, projectID, policies.Wishes)
		if err != nil {
			return err
		}
		if err := validateAnswers(answers); err != nil {
			return err
		}
		w, err := c.WishSubmission.Create().
			SetProjectID(p.ID).
			SetAnswers(answers).
			SetSubmittedAt(time.Now()).
			SetSubmittedBy(a.Label()).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("store wishes: %w", err)
		}
		out = &Wishes{Answers: w.Answers, SubmittedAt: w.SubmittedAt}
		if err := s.record(ctx, c, events.PortalWishesSubmitted, p, "wishes", map[string]any{
			"id": w.ID, "answers": w.Answers, "submittedAt": w.SubmittedAt,
		}); err != nil {
			return err
		}
		return s.activity(ctx, c, p, automation.TriggerWISHES_SUBMITTED)
	})
	return out, err
}

func validateAnswers(answers map[string]any) error {
	if answers == nil {
		return errcode.Invalid("answers", "answers must be a JSON object")
	}
	if len(answers) > MaxWishesKeys {
		return errcode.Invalid("answers", fmt.Sprintf("at most %d answers", MaxWishesKeys))
	}
	for k := range answers {
		if strings.TrimSpace(k) == "" {
			return errcode.Invalid("answers", "answer keys must not be blank")
		}
	}
	return validate.JSON("answers", answers, MaxWishesBytes)
}

// Upload is a file sent to UploadFile.
type Upload struct {
	Name string
	// Size as declared by the client (-1: unknown); the stored size is
	// what was read.
	Size int64
	Body io.Reader
}

// ErrFileTooLarge is a file over MaxUploadBytes.
var ErrFileTooLarge = errcode.New(errcode.Validation, "the file is too large")

// UploadFile stores a file of the project in the blob store, if its status
// unlocks FILE_MANAGER. The name is sanitised and the content type sniffed
// from the bytes, never taken from the client. A locked feature or a
// refused file leaves nothing behind, in the store or the database.
func (s *Service) UploadFile(ctx context.Context, projectID pulid.ID, up Upload) (*ent.File, error) {
	p, _, err := s.useFeature(ctx, s.cfg.Client, projectID, policies.FileManager)
	if err != nil {
		return nil, err
	}
	if up.Size > s.cfg.MaxUploadBytes {
		return nil, ErrFileTooLarge.With("limit", s.cfg.MaxUploadBytes)
	}
	name := SanitizeFileName(up.Name)
	id := pulid.New("fil_")
	key := string(p.TenantID) + "/" + string(p.ID) + "/" + string(id)
	size, contentType, err := s.store(ctx, key, up.Body)
	if err != nil {
		return nil, err
	}
	var f *ent.File
	err = entx.WithTx(ctx, s.cfg.Client, func(ctx context.Context, c *ent.Client) error {
		// The status may have changed while the bytes arrived.
		_, a, err := s.useFeature(ctx, c, projectID, policies.FileManager)
		if err != nil {
			return err
		}
		f, err = c.File.Create().
			SetID(id).
			SetProjectID(p.ID).
			SetName(name).
			SetSize(size).
			SetContentType(contentType).
			SetBlobKey(key).
			SetUploadedBy(a.Label()).
			Save(ctx)
		if err != nil {
			return err
		}
		if err := s.record(ctx, c, events.PortalFileUploaded, p, "file", map[string]any{
			"id": f.ID, "name": f.Name, "size": f.Size, "contentType": f.ContentType,
		}); err != nil {
			return err
		}
		return s.activity(ctx, c, p, automation.TriggerFILE_UPLOADED)
	})
	if err != nil {
		_ = s.cfg.Bucket.Delete(context.WithoutCancel(ctx), key)
		return nil, err
	}
	return f.Unwrap(), nil
}

// store writes the bytes to the blob store, refusing more than
// MaxUploadBytes, and returns their size and sniffed content type.
func (s *Service) store(ctx context.Context, key string, body io.Reader) (int64, string, error) {
	br := bufio.NewReaderSize(body, 512)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return 0, "", fmt.Errorf("read upload: %w", err)
	}
	contentType := http.DetectContentType(head)
	// Cancelling the writer's context before Close discards the blob.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.cfg.Bucket.NewWriter(wctx, key, &blob.WriterOptions{ContentType: contentType})
	if err != nil {
		return 0, "", fmt.Errorf("open blob: %w", err)
	}
	n, copyErr := io.Copy(w, io.LimitReader(br, s.cfg.MaxUploadBytes+1))
	if copyErr == nil && n > s.cfg.MaxUploadBytes {
		copyErr = ErrFileTooLarge.With("limit", s.cfg.MaxUploadBytes)
	}
	if copyErr != nil {
		cancel()
		_ = w.Close()
		_ = s.cfg.Bucket.Delete(context.WithoutCancel(ctx), key)
		var e *errcode.Error
		if errors.As(copyErr, &e) {
			return 0, "", copyErr
		}
		return 0, "", fmt.Errorf("write blob: %w", copyErr)
	}
	if err := w.Close(); err != nil {
		return 0, "", fmt.Errorf("write blob: %w", err)
	}
	return n, contentType, nil
}

// SanitizeFileName keeps the base name, drops control and path characters
// and bounds the length; an empty result becomes "file".
func SanitizeFileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsControl(r), strings.ContainsRune(`/\:*?"<>|`, r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	out := strings.Trim(strings.TrimSpace(b.String()), ".")
	if out == "" || out == "_" {
		out = "file"
	}
	for len(out) > 255 {
		ext := path.Ext(out)
		if len(ext) > 20 {
			ext = ""
		}
		r := []rune(strings.TrimSuffix(out, ext))
		out = string(r[:len(r)-1]) + ext
	}
	return out
}

// OpenFile opens a file of the caller's tenant for download.
func (s *Service) OpenFile(ctx context.Context, fileID pulid.ID) (*ent.File, io.ReadCloser, error) {
	if _, err := tenant.RequireTenant(ctx); err != nil {
		return nil, nil, err
	}
	f, err := s.cfg.Client.File.Get(ctx, fileID)
	if ent.IsNotFound(err) {
		return nil, nil, ErrFileNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	r, err := s.cfg.Bucket.NewReader(ctx, f.BlobKey, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("open blob of %s: %w", f.ID, err)
	}
	return f, r, nil
}

// ContentDisposition is the header that makes a browser save a file under
// its name.
func ContentDisposition(name string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})
}

// PinFeedbackInput is the input of PinFeedback.
type PinFeedbackInput struct {
	ProjectID pulid.ID
	PageURL   string
	Selector  *string
	X, Y      *float64
	Comment   string
}

// PinFeedback creates a to-do pinned to a page element, in the project's
// current status, if that status unlocks FEEDBACK.
func (s *Service) PinFeedback(ctx context.Context, in PinFeedbackInput) (*ent.Todo, error) {
	var out *ent.Todo
	err := entx.WithTx(ctx, s.cfg.Client, func(ctx context.Context, c *ent.Client) error {
		p, a, err := s.useFeature(ctx, c, in.ProjectID, policies.Feedback)
		if err != nil {
			return err
		}
		// The comment becomes the to-do's title.
		comment, err := validate.Required("comment", in.Comment, validate.MaxTodoTitle)
		if err != nil {
			return err
		}
		if err := validate.Text("pageUrl", in.PageURL, validate.MaxURL); err != nil {
			return err
		}
		u, err := url.Parse(in.PageURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errcode.Invalid("pageUrl", "pageUrl must be an http(s) URL")
		}
		for field, v := range map[string]*float64{"x": in.X, "y": in.Y} {
			if v != nil && (*v < 0 || *v > 1) {
				return errcode.Invalid(field, field+" must be between 0 and 1")
			}
		}
		selector, err := validate.Optional("selector", in.Selector, validate.MaxSelector)
		if err != nil {
			return err
		}
		out, err = c.Todo.Create().
			SetProjectID(p.ID).
			SetStatusID(p.StatusID).
			SetKind(todo.KindFEEDBACK).
			SetTitle(comment).
			SetPageURL(in.PageURL).
			SetNillableSelector(selector).
			SetNillableX(in.X).
			SetNillableY(in.Y).
			SetAuthor(a.Label()).
			Save(ctx)
		if err != nil {
			return err
		}
		feedback := map[string]any{"id": out.ID, "comment": out.Title, "pageUrl": in.PageURL, "selector": selector, "x": in.X, "y": in.Y}
		if err := s.record(ctx, c, events.PortalFeedbackPinned, p, "feedback", feedback); err != nil {
			return err
		}
		if err := s.record(ctx, c, events.TodoCreated, p, "todo", events.TodoData(out)); err != nil {
			return err
		}
		return s.activity(ctx, c, p, automation.TriggerFEEDBACK_PINNED)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// MyDataInput is the input of UpdateMyData; nil fields stay, blank optional
// fields are cleared.
type MyDataInput struct {
	Name    *string
	Company *string
	Email   *string
	Phone   *string
}

// UpdateMyData edits the calling customer's contact data, if the status of
// one of its active projects unlocks MY_DATA.
func (s *Service) UpdateMyData(ctx context.Context, in MyDataInput) (*ent.Customer, error) {
	var out *ent.Customer
	err := entx.WithTx(ctx, s.cfg.Client, func(ctx context.Context, c *ent.Client) error {
		a, err := requireCustomer(ctx)
		if err != nil {
			return err
		}
		ps, err := c.Project.Query().
			Where(project.CustomerID(a.CustomerID), project.Archived(false)).
			WithStatus(func(q *ent.StatusQuery) { q.WithWorkflow() }).
			All(ctx)
		if err != nil {
			return fmt.Errorf("load projects: %w", err)
		}
		unlocked := false
		for _, p := range ps {
			set, err := s.unlocked(ctx, c, p)
			if err != nil {
				return err
			}
			unlocked = unlocked || set.Has(policies.MyData)
		}
		if !unlocked {
			return ErrFeatureLocked.With("feature", string(policies.MyData))
		}
		upd := c.Customer.UpdateOneID(a.CustomerID)
		if in.Name != nil {
			name, err := validate.Required("name", *in.Name, validate.MaxName)
			if err != nil {
				return err
			}
			upd.SetName(name)
		}
		if in.Email != nil {
			email, err := validate.OptionalEmail("email", in.Email)
			if err != nil {
				return err
			}
			if email == nil {
				upd.ClearEmail()
			} else {
				upd.SetEmail(*email)
			}
		}
		for _, f := range []struct {
			v     *string
			set   func(string) *ent.CustomerUpdateOne
			clear func() *ent.CustomerUpdateOne
			field string
			max   int
		}{
			{in.Company, upd.SetCompany, upd.ClearCompany, "company", validate.MaxName},
			{in.Phone, upd.SetPhone, upd.ClearPhone, "phone", validate.MaxPhone},
		} {
			if f.v == nil {
				continue
			}
			t, err := validate.Optional(f.field, f.v, f.max)
			switch {
			case err != nil:
				return err
			case t == nil:
				f.clear()
			default:
				f.set(*t)
			}
		}
		out, err = upd.Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}
