package sdk

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMountPrefix(t *testing.T) {
	for _, tt := range []struct{ requestURI, path, want string }{
		{"/", "/", ""},
		{"/board/website?x=1", "/board/website", ""},
		{"/lanes/board/website", "/board/website", "/lanes"},
		{"/a/b/", "/", "/a/b"},
		{"/lanes/", "", ""},
		{"http://example.com/lanes/survey?token=1", "/survey", "/lanes"},
		{"/other", "/board", ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RequestURI = tt.requestURI
		r.URL.Path = tt.path
		require.Equal(t, tt.want, mountPrefix(r), "%+v", tt)
	}
}
