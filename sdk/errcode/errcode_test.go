package errcode

import (
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
