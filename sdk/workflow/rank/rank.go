// Package rank implements fractional indexing: order keys (strings) such
// that a key can always be made between any two others, so moving a card
// writes only that card. Keys compare byte-wise (PostgreSQL stores them
// with COLLATE "C"; SQLite compares bytes by default).
//
// A key is an integer part (a head letter giving its length, then digits)
// and an optional fraction that never ends in '0', as in David Greenspan's
// "Implementing Fractional Indexing". Appending or prepending grows keys
// logarithmically; only repeated inserts at one spot grow them linearly.
package rank

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
)

// Digits are the base-62 digits in byte order.
const Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const (
	zero            = "a0"
	smallestInteger = "A00000000000000000000000000"
)

// ErrInvalid reports a malformed key or a bad pair of bounds.
var ErrInvalid = errors.New("rank: invalid key")

// Between returns a key strictly between a and b. An empty a means "before
// everything", an empty b "after everything". a must sort before b.
func Between(a, b string) (string, error) {
	if a != "" {
		if err := Validate(a); err != nil {
			return "", err
		}
	}
	if b != "" {
		if err := Validate(b); err != nil {
			return "", err
		}
	}
	if a != "" && b != "" && a >= b {
		return "", fmt.Errorf("%w: %q is not before %q", ErrInvalid, a, b)
	}
	switch {
	case a == "" && b == "":
		return zero, nil
	case a == "":
		ib, err := integerPart(b)
		if err != nil {
			return "", err
		}
		fb := b[len(ib):]
		if ib == smallestInteger {
			m, err := midpoint("", fb)
			return ib + m, err
		}
		if ib < b {
			return ib, nil
		}
		return decrement(ib)
	case b == "":
		ia, err := integerPart(a)
		if err != nil {
			return "", err
		}
		fa := a[len(ia):]
		i, err := increment(ia)
		if err != nil {
			return "", err
		}
		if i == "" {
			m, err := midpoint(fa, "")
			return ia + m, err
		}
		return i, nil
	}
	ia, err := integerPart(a)
	if err != nil {
		return "", err
	}
	fa := a[len(ia):]
	ib, err := integerPart(b)
	if err != nil {
		return "", err
	}
	fb := b[len(ib):]
	if ia == ib {
		m, err := midpoint(fa, fb)
		return ia + m, err
	}
	i, err := increment(ia)
	if err != nil {
		return "", err
	}
	if i == "" {
		return "", fmt.Errorf("%w: cannot increment %q", ErrInvalid, ia)
	}
	if i < b {
		return i, nil
	}
	m, err := midpoint(fa, "")
	return ia + m, err
}

// JitteredBetween is Between with random trailing digits, so two writers
// that drop a card at the same spot at the same time still get distinct
// keys (readers break any tie by ID anyway).
func JitteredBetween(a, b string) (string, error) {
	k, err := Between(a, b)
	if err != nil {
		return "", err
	}
	for range 4 {
		candidate := k + randomFraction(3)
		if b == "" || candidate < b {
			return candidate, nil
		}
	}
	return k, nil
}

// N returns n keys in order strictly between a and b, evenly spread.
func N(a, b string, n int) ([]string, error) {
	switch {
	case n <= 0:
		return nil, nil
	case n == 1:
		k, err := Between(a, b)
		return []string{k}, err
	case b == "":
		keys := make([]string, 0, n)
		k := a
		for range n {
			next, err := Between(k, "")
			if err != nil {
				return nil, err
			}
			keys = append(keys, next)
			k = next
		}
		return keys, nil
	case a == "":
		keys := make([]string, n)
		k := b
		for i := n - 1; i >= 0; i-- {
			prev, err := Between("", k)
			if err != nil {
				return nil, err
			}
			keys[i] = prev
			k = prev
		}
		return keys, nil
	}
	mid := n / 2
	c, err := Between(a, b)
	if err != nil {
		return nil, err
	}
	left, err := N(a, c, mid)
	if err != nil {
		return nil, err
	}
	right, err := N(c, b, n-mid-1)
	if err != nil {
		return nil, err
	}
	return append(append(left, c), right...), nil
}

// Validate checks that k is a well-formed key.
func Validate(k string) error {
	if k == smallestInteger {
		return fmt.Errorf("%w: %q", ErrInvalid, k)
	}
	i, err := integerPart(k)
	if err != nil {
		return err
	}
	for j := 0; j < len(k); j++ {
		if strings.IndexByte(Digits, k[j]) < 0 {
			return fmt.Errorf("%w: %q", ErrInvalid, k)
		}
	}
	if f := k[len(i):]; strings.HasSuffix(f, "0") {
		return fmt.Errorf("%w: %q ends in 0", ErrInvalid, k)
	}
	return nil
}

func integerLength(head byte) (int, error) {
	switch {
	case head >= 'a' && head <= 'z':
		return int(head-'a') + 2, nil
	case head >= 'A' && head <= 'Z':
		return int('Z'-head) + 2, nil
	}
	return 0, fmt.Errorf("%w: head %q", ErrInvalid, head)
}

func integerPart(k string) (string, error) {
	if k == "" {
		return "", fmt.Errorf("%w: empty key", ErrInvalid)
	}
	n, err := integerLength(k[0])
	if err != nil {
		return "", err
	}
	if n > len(k) {
		return "", fmt.Errorf("%w: %q is too short", ErrInvalid, k)
	}
	return k[:n], nil
}

// midpoint returns a fraction strictly between fractions a and b (b empty:
// 1). Neither may end in '0'.
func midpoint(a, b string) (string, error) {
	if b != "" && a >= b {
		return "", fmt.Errorf("%w: fraction %q is not before %q", ErrInvalid, a, b)
	}
	if strings.HasSuffix(a, "0") || strings.HasSuffix(b, "0") {
		return "", fmt.Errorf("%w: trailing zero", ErrInvalid)
	}
	if b != "" {
		// Skip the common prefix, padding a with zeros.
		n := 0
		for n < len(b) {
			ca := byte('0')
			if n < len(a) {
				ca = a[n]
			}
			if ca != b[n] {
				break
			}
			n++
		}
		if n > 0 {
			rest := ""
			if n < len(a) {
				rest = a[n:]
			}
			m, err := midpoint(rest, b[n:])
			return b[:n] + m, err
		}
	}
	digitA := 0
	if a != "" {
		digitA = strings.IndexByte(Digits, a[0])
	}
	digitB := len(Digits)
	if b != "" {
		digitB = strings.IndexByte(Digits, b[0])
	}
	if digitB-digitA > 1 {
		return string(Digits[(digitA+digitB+1)/2]), nil
	}
	if len(b) > 1 {
		return b[:1], nil
	}
	rest := ""
	if len(a) > 1 {
		rest = a[1:]
	}
	m, err := midpoint(rest, "")
	return string(Digits[digitA]) + m, err
}

// increment returns the next integer part, or "" past the largest.
func increment(x string) (string, error) {
	n, err := integerLength(x[0])
	if err != nil {
		return "", err
	}
	head, digits := x[0], []byte(x[1:n])
	carry := true
	for i := len(digits) - 1; carry && i >= 0; i-- {
		d := strings.IndexByte(Digits, digits[i]) + 1
		if d == len(Digits) {
			digits[i] = '0'
		} else {
			digits[i] = Digits[d]
			carry = false
		}
	}
	if !carry {
		return string(head) + string(digits), nil
	}
	switch head {
	case 'Z':
		return "a0", nil
	case 'z':
		return "", nil
	}
	h := head + 1
	if h > 'a' {
		digits = append(digits, '0')
	} else {
		digits = digits[:len(digits)-1]
	}
	return string(h) + string(digits), nil
}

// decrement returns the previous integer part.
func decrement(x string) (string, error) {
	n, err := integerLength(x[0])
	if err != nil {
		return "", err
	}
	head, digits := x[0], []byte(x[1:n])
	borrow := true
	for i := len(digits) - 1; borrow && i >= 0; i-- {
		d := strings.IndexByte(Digits, digits[i]) - 1
		if d == -1 {
			digits[i] = Digits[len(Digits)-1]
		} else {
			digits[i] = Digits[d]
			borrow = false
		}
	}
	if !borrow {
		return string(head) + string(digits), nil
	}
	switch head {
	case 'a':
		return "Z" + string(Digits[len(Digits)-1]), nil
	case 'A':
		return "", fmt.Errorf("%w: cannot decrement %q", ErrInvalid, x)
	}
	h := head - 1
	if h < 'Z' {
		digits = append(digits, Digits[len(Digits)-1])
	} else {
		digits = digits[:len(digits)-1]
	}
	return string(h) + string(digits), nil
}

func randomFraction(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = Digits[int(b[i])%len(Digits)]
	}
	if b[n-1] == '0' {
		b[n-1] = '1'
	}
	return string(b)
}
