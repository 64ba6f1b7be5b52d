package rank

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBetweenKnownValues(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"", "", "a0"},
		{"", "a0", "Zz"},
		{"", "Zz", "Zy"},
		{"a0", "", "a1"},
		{"a1", "", "a2"},
		{"a0", "a1", "a0V"},
		{"a1", "a2", "a1V"},
		{"a0V", "a1", "a0l"},
		{"Zz", "a0", "ZzV"},
		{"Zz", "a1", "a0"},
		{"", "Y00", "Xzzz"},
		{"bzz", "", "c000"},
		{"a0", "a0V", "a0G"},
		{"a0", "a0G", "a08"},
		{"b125", "b129", "b127"},
		{"a0", "a1V", "a1"},
		{"Zz", "a01", "a0"},
		{"", "a0V", "a0"},
		{"", "b999", "b99"},
		{"az", "", "b00"},
		{"", "A00000000000000000000000000V", "A00000000000000000000000000G"},
		{"zzzzzzzzzzzzzzzzzzzzzzzzzzy", "", "zzzzzzzzzzzzzzzzzzzzzzzzzzz"},
		{"zzzzzzzzzzzzzzzzzzzzzzzzzzz", "", "zzzzzzzzzzzzzzzzzzzzzzzzzzzV"},
	} {
		got, err := Between(tc.a, tc.b)
		require.NoError(t, err, "%q..%q", tc.a, tc.b)
		require.Equal(t, tc.want, got, "%q..%q", tc.a, tc.b)
	}
}

func TestBetweenRefusesBadInput(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"a1", "a0"}, {"a0", "a0"}, {"a00", ""}, {"a0", "a1 0"}, {"", "A00000000000000000000000000"},
		{"a", ""}, {"0", ""}, {"a0-", ""},
	} {
		_, err := Between(tc.a, tc.b)
		require.ErrorIs(t, err, ErrInvalid, "%q..%q", tc.a, tc.b)
	}
}

func TestN(t *testing.T) {
	for _, tc := range []struct{ a, b string }{{"", ""}, {"a0", ""}, {"", "a0"}, {"a0", "a1"}, {"a0", "c000"}} {
		keys, err := N(tc.a, tc.b, 50)
		require.NoError(t, err)
		require.Len(t, keys, 50)
		require.True(t, slices.IsSorted(keys))
		require.Len(t, slices.Compact(slices.Clone(keys)), 50)
		if tc.a != "" {
			require.Less(t, tc.a, keys[0])
		}
		if tc.b != "" {
			require.Less(t, keys[49], tc.b)
		}
	}
}

func TestAppendAndPrependStayShort(t *testing.T) {
	k := ""
	for range 100_000 {
		next, err := Between(k, "")
		require.NoError(t, err)
		require.Less(t, k, next)
		k = next
	}
	require.LessOrEqual(t, len(k), 5, "100,000 appends: %q", k)
	k = ""
	for range 100_000 {
		prev, err := Between("", k)
		require.NoError(t, err)
		k = prev
	}
	require.LessOrEqual(t, len(k), 5, "100,000 prepends: %q", k)
}

// applyDrops plays a random sequence of drops on a list of cards ordered by
// (key, id) and checks after each that the order is total, stable and the
// one the drops asked for.
func applyDrops(t testing.TB, seed uint64, steps int) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	type card struct {
		id  int
		key string
	}
	var cards []card // kept in intended order
	next := 0
	for step := range steps {
		var drop int // position the card lands at
		moving := card{id: next}
		if len(cards) > 0 && r.IntN(3) > 0 {
			// move an existing card
			from := r.IntN(len(cards))
			moving = cards[from]
			cards = slices.Delete(cards, from, from+1)
		} else {
			next++
		}
		drop = r.IntN(len(cards) + 1)
		lo, hi := "", ""
		if drop > 0 {
			lo = cards[drop-1].key
		}
		if drop < len(cards) {
			hi = cards[drop].key
		}
		var key string
		var err error
		if r.IntN(2) == 0 {
			key, err = JitteredBetween(lo, hi)
		} else {
			key, err = Between(lo, hi)
		}
		if err != nil {
			t.Fatalf("step %d: between %q and %q: %v", step, lo, hi, err)
		}
		if err := Validate(key); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		moving.key = key
		cards = slices.Insert(cards, drop, moving)
		for i := 1; i < len(cards); i++ {
			if cards[i-1].key >= cards[i].key {
				t.Fatalf("step %d: keys out of order at %d: %q >= %q", step, i, cards[i-1].key, cards[i].key)
			}
		}
	}
}

func TestRandomDropsKeepOrder(t *testing.T) {
	for seed := range uint64(20) {
		applyDrops(t, seed, 2000)
	}
}

func FuzzDrops(f *testing.F) {
	f.Add(uint64(1), uint16(300))
	f.Add(uint64(42), uint16(1000))
	f.Fuzz(func(t *testing.T, seed uint64, steps uint16) {
		applyDrops(t, seed, int(steps%3000))
	})
}

func FuzzBetween(f *testing.F) {
	f.Add("a0", "a1")
	f.Add("", "Zz")
	f.Add("a0V", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		k, err := Between(a, b)
		if err != nil {
			return
		}
		require.NoError(t, Validate(k))
		if a != "" {
			require.Less(t, a, k)
		}
		if b != "" {
			require.Less(t, k, b)
		}
	})
}
