package validate_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent/customer"
	"github.com/lanes-dev/lanes/ent/customerreview"
	"github.com/lanes-dev/lanes/ent/invitation"
	"github.com/lanes-dev/lanes/ent/member"
	"github.com/lanes-dev/lanes/ent/payment"
	"github.com/lanes-dev/lanes/ent/project"
	_ "github.com/lanes-dev/lanes/ent/runtime" // the schemas' validators
	"github.com/lanes-dev/lanes/ent/status"
	"github.com/lanes-dev/lanes/ent/statuschange"
	"github.com/lanes-dev/lanes/ent/survey"
	entenant "github.com/lanes-dev/lanes/ent/tenant"
	"github.com/lanes-dev/lanes/ent/timeentry"
	"github.com/lanes-dev/lanes/ent/todo"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
)

// The ent schemas bound the columns in bytes; every value within its
// limit in characters must fit, four bytes a character.
func TestColumnsHoldEveryValueWithinItsLimit(t *testing.T) {
	for name, c := range map[string]struct {
		validator func(string) error
		limit     int
	}{
		"tenant.name":             {entenant.NameValidator, validate.MaxName},
		"member.external_id":      {member.ExternalIDValidator, validate.MaxName},
		"member.name":             {member.NameValidator, validate.MaxName},
		"member.email":            {member.EmailValidator, validate.MaxEmail},
		"customer.name":           {customer.NameValidator, validate.MaxName},
		"customer.company":        {customer.CompanyValidator, validate.MaxName},
		"customer.email":          {customer.EmailValidator, validate.MaxEmail},
		"customer.phone":          {customer.PhoneValidator, validate.MaxPhone},
		"project.title":           {project.TitleValidator, validate.MaxName},
		"project.archive_note":    {project.ArchiveNoteValidator, validate.MaxText},
		"project.progress_note":   {project.ProgressNoteValidator, validate.MaxText},
		"status.name":             {status.NameValidator, validate.MaxName},
		"status_change.reason":    {statuschange.ReasonValidator, validate.MaxText},
		"status_change.note":      {statuschange.NoteValidator, validate.MaxText},
		"todo.title":              {todo.TitleValidator, validate.MaxTodoTitle},
		"todo.page_url":           {todo.PageURLValidator, validate.MaxURL},
		"todo.selector":           {todo.SelectorValidator, validate.MaxSelector},
		"time_entry.note":         {timeentry.NoteValidator, validate.MaxText},
		"customer_review.comment": {customerreview.CommentValidator, validate.MaxText},
		"survey.comment":          {survey.CommentValidator, validate.MaxText},
		"payment.description":     {payment.DescriptionValidator, validate.MaxDescription},
		"payment.reference":       {payment.ReferenceValidator, validate.MaxReference},
		"invitation.email":        {invitation.EmailValidator, validate.MaxEmail},
	} {
		require.NotNil(t, c.validator, name)
		require.NoError(t, c.validator(strings.Repeat("𝄞", c.limit)), name)
	}
}
