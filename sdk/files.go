package sdk

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/portal"
	"github.com/lanes-dev/lanes/tenant"
	"github.com/lanes-dev/lanes/tenant/role"
)

// serveFile answers a signed download link of an uploaded file. The
// signature names the tenant and the file and expires; the file is read as
// a read-only actor of that tenant. It is always sent as an attachment,
// never rendered, so uploaded HTML cannot run in Lanes' origin.
func (l *Lanes) serveFile(w http.ResponseWriter, r *http.Request) {
	tenantID, fileID := pulid.ID(r.PathValue("tenant")), pulid.ID(r.PathValue("file"))
	q := r.URL.Query()
	if !l.signer.Verify(tenantID, fileID, q.Get("exp"), q.Get("sig"), time.Now()) {
		writeGraphQLError(w, http.StatusForbidden, errcode.New(errcode.Forbidden, "the link is invalid or expired"))
		return
	}
	ctx := tenant.NewContext(r.Context(), tenant.Actor{
		Kind: tenant.KindPlatform, TenantID: tenantID, Role: role.Viewer, Credential: "file-link:" + string(fileID),
	})
	f, body, err := l.Portal.OpenFile(ctx, fileID)
	if err != nil {
		// Not found (portal.ErrFileNotFound) is 404, the database down 503.
		l.writeError(w, r.WithContext(ctx), fmt.Errorf("serve file %s: %w", fileID, err))
		return
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	h.Set("Content-Disposition", portal.ContentDisposition(f.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Cache-Control", "private, max-age=300")
	if _, err := io.Copy(w, body); err != nil {
		l.cfg.Logger.WarnContext(ctx, "serve file: copy", "file", fileID, "err", err)
	}
}
