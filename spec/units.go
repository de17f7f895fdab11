package spec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a Compose duration ("1m30s", "10s", "1h5m", "500ms"),
// printed back in Go's canonical form.
type Duration time.Duration

// ParseDuration parses a Compose duration. A bare number is not accepted
// except 0, because its unit would be a guess.
func ParseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: expected a number with a unit (us, ms, s, m, h), like 1m30s", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	return Duration(d), nil
}

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText prints the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a Compose duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	*d = v
	return err
}

// ByteSize is a size in bytes. The file may say 512m, 1gb, 2k, 1.5g or a
// plain number of bytes; the multiples are powers of 1024 as in Docker.
// -1 (memswap_limit) means unlimited.
type ByteSize int64

var byteUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
	"t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40,
	"p": 1 << 50, "pb": 1 << 50, "pib": 1 << 50,
}

// ParseByteSize parses a Compose byte size.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "-1" {
		return -1, nil
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	mult, ok := byteUnits[unit]
	value, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || num == "" {
		return 0, fmt.Errorf("invalid byte size %q: expected a number of bytes with an optional unit (b, k, m, g, t), like 512m", s)
	}
	bytes := value * mult
	if bytes > math.MaxInt64 {
		return 0, fmt.Errorf("invalid byte size %q: too large", s)
	}
	return ByteSize(bytes), nil
}

// String prints the size as a number of bytes.
func (b ByteSize) String() string { return strconv.FormatInt(int64(b), 10) }
