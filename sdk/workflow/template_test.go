package workflow

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/ent/schema/schematype"
)

func TestBuiltinTemplates(t *testing.T) {
	ts, err := BuiltinTemplates()
	require.NoError(t, err)
	require.Equal(t, []string{"leads", "website"}, sortedKeys(ts))

	website := ts["website"]
	require.Equal(t, "FREE", website.Mode)
	require.Len(t, website.Statuses, 13)
	// The contract's website table: features (F W D E B S T) and the chain.
	want := []struct{ key, features, next string }{
		{"lead", "FW", "interest"}, {"interest", "FW", "preparation"},
		{"preparation", "FWDE", "approval"}, {"approval", "FWDE", "assign"},
		{"assign", "FWDE", "creation"}, {"creation", "FDE", "audit"},
		{"audit", "FDE", "feedback"}, {"feedback", "FDEB", "revision"},
		{"revision", "FDET", "publish"}, {"publish", "FDEBT", "done"},
		{"change", "FDEBST", "done"}, {"done", "FDEBST", ""},
		{"redesign", "FWDEST", "preparation"},
	}
	letter := map[string]byte{"FILE_MANAGER": 'F', "WISHES": 'W', "MY_DATA": 'D', "EMAILS": 'E', "FEEDBACK": 'B', "STATISTICS": 'S', "STORE": 'T'}
	for i, w := range want {
		st := website.Statuses[i]
		require.Equal(t, w.key, st.Key)
		var got []byte
		for _, f := range st.Features {
			got = append(got, letter[f])
		}
		slices.Sort(got)
		wantLetters := []byte(w.features)
		slices.Sort(wantLetters)
		require.Equal(t, string(wantLetters), string(got), st.Key)
		require.Equal(t, w.next, st.AdvanceTo, st.Key)
		require.Equal(t, slices.Contains([]string{"preparation", "creation", "feedback", "done"}, st.Key), st.Mandatory, st.Key)
	}

	leads := ts["leads"]
	require.Equal(t, "STRICT", leads.Mode)
	for _, st := range leads.Statuses {
		require.True(t, st.Mandatory)
		require.ElementsMatch(t, []string{"FILE_MANAGER", "MY_DATA"}, st.Features)
	}
	require.Equal(t, []schematype.Transition{
		{From: "new", Action: "accept", To: "active", Mutation: "acceptLead"},
		{From: "new", Action: "decline", To: "declined", Needs: []string{"reason"}, Mutation: "declineLead"},
		{From: "active", Action: "decline", To: "declined", Needs: []string{"reason"}, Mutation: "declineLead"},
		{From: "active", Action: "secure", To: "secured", Mutation: "secureProject"},
		{From: "secured", Action: "complete", To: "completed", Needs: []string{"payment", "finalDealValue"}, Mutation: "completeProject"},
	}, leads.Transitions)
	require.Equal(t, "active", leads.Progress.Status)
	require.Len(t, leads.Progress.Options, 5)
}

func TestTemplateValidate(t *testing.T) {
	ok := Template{Key: "shop", Name: "Shop", Mode: "FREE", Statuses: []TemplateStatus{
		{Key: "open", Name: "Open", Category: "OPEN", AdvanceTo: "closed"}, {Key: "closed", Name: "Closed", Category: "DONE"},
	}}
	require.NoError(t, ok.Validate())
	for name, mutate := range map[string]func(*Template){
		"bad key":                    func(t *Template) { t.Key = "Shop!" },
		"no name":                    func(t *Template) { t.Name = "" },
		"bad mode":                   func(t *Template) { t.Mode = "LOOSE" },
		"no statuses":                func(t *Template) { t.Statuses = nil },
		"duplicate status":           func(t *Template) { t.Statuses[1].Key = "open" },
		"unknown feature":            func(t *Template) { t.Statuses[0].Features = []string{"TELEPORT"} },
		"no category":                func(t *Template) { t.Statuses[0].Category = "" },
		"unknown category":           func(t *Template) { t.Statuses[0].Category = "SOMEDAY" },
		"advance to nowhere":         func(t *Template) { t.Statuses[0].AdvanceTo = "limbo" },
		"advance to itself":          func(t *Template) { t.Statuses[0].AdvanceTo = "open" },
		"strict without transitions": func(t *Template) { t.Mode = "STRICT" },
		"transition to nowhere": func(t *Template) {
			t.Transitions = []schematype.Transition{{From: "open", Action: "x", To: "limbo"}}
		},
		"progress in unknown status": func(t *Template) {
			t.Progress = &schematype.Progress{Status: "limbo", Options: []schematype.ProgressOption{{Key: "a", Name: "A"}}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			bad := ok
			bad.Statuses = slices.Clone(ok.Statuses)
			mutate(&bad)
			require.Error(t, bad.Validate())
		})
	}
}
