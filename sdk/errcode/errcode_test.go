package errcode

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIsMatchesDerivedErrors(t *testing.T) {
	inUse := New(StatusInUse, "in use")
	other := New(StatusInUse, "in use")
	derived := inUse.With("projectCount", 3).WithMessage("status %s is in use", "lead")
	wrapped := fmt.Errorf("disable: %w", derived)
	require.ErrorIs(t, wrapped, inUse)
	require.NotErrorIs(t, wrapped, other, "distinct sentinels stay distinct even with equal text")
	require.Equal(t, StatusInUse, CodeOf(wrapped))
	require.Equal(t, 3, derived.Details["projectCount"])
	require.Nil(t, inUse.Details, "With does not touch the sentinel")
	require.Equal(t, "in use", inUse.Message)
	require.Equal(t, Internal, CodeOf(errors.New("plain")))
}

// errOther is an error of a package errcode cannot know, classified by the
// classifier this test registers.
type errOther struct{}

func (errOther) Error() string { return "other package's failure" }

var errOtherCoded = New(Unavailable, "the other package is down")

func init() {
	RegisterClassifier(func(err error) *Error {
		if errors.As(err, new(errOther)) {
			return errOtherCoded
		}
		return nil
	})
}

func TestFromIsTheOneMapping(t *testing.T) {
	require.Nil(t, From(nil))
	require.Equal(t, Code(""), CodeOf(nil), "no error has no code, not INTERNAL")
	require.NoError(t, Classify(nil))
	_, ok := As(nil)
	require.False(t, ok)

	domain := fmt.Errorf("move: %w", New(WIPLimit, "full"))
	require.Same(t, domain, Classify(domain), "an error that has a code is returned as it is")
	require.Equal(t, WIPLimit, CodeOf(domain))

	cases := []struct {
		name    string
		err     error
		code    Code
		message string
		is      error
	}{
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), Timeout, ErrDeadline.Message, context.DeadlineExceeded},
		{"canceled", fmt.Errorf("query: %w", context.Canceled), Timeout, ErrCanceled.Message, context.Canceled},
		{"registered classifier", fmt.Errorf("call: %w", errOther{}), Unavailable, "the other package is down", errOtherCoded},
		{"unknown", errors.New("relation secret_table does not exist"), Internal, "internal error", ErrInternal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := From(tc.err)
			require.Equal(t, tc.code, e.Code)
			require.Equal(t, tc.message, e.Message)
			require.Equal(t, tc.code, CodeOf(tc.err))
			got, ok := As(tc.err)
			require.True(t, ok)
			require.Equal(t, tc.code, got.Code)

			classified := Classify(tc.err)
			var coded *Error
			require.ErrorAs(t, classified, &coded, "a classified error has a code in its chain")
			require.Equal(t, tc.code, coded.Code)
			require.ErrorIs(t, classified, tc.err, "the original stays reachable")
			require.ErrorIs(t, classified, tc.is)
			require.Same(t, tc.err, errors.Unwrap(classified))
			require.Contains(t, classified.Error(), tc.err.Error(), "logs keep the cause's text")
		})
	}
	var other errOther
	require.ErrorAs(t, Classify(fmt.Errorf("call: %w", errOther{})), &other)
}
