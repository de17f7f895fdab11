package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
)

// ConfigEnv names a registries.json to read instead of DefaultConfigPath.
const ConfigEnv = "STACK_REGISTRIES_CONFIG"

// DefaultConfigPath is the host-wide registry configuration. Its format is
// the insecure-registries part of Docker's daemon.json:
//
//	{"insecure-registries": ["myregistry:5000", "10.0.0.0/8"]}
const DefaultConfigPath = "/etc/stack/registries.json"

// Hosts decides which registries may be spoken to over plain HTTP. Loopback
// registries always may, like Docker; any other only when listed as
// host, host:port or a CIDR network. Everything else uses TLS.
type Hosts struct {
	names map[string]bool // host or host:port, lower case
	nets  []*net.IPNet
}

// NewHosts returns the rules for these insecure registries.
func NewHosts(insecure ...string) (*Hosts, error) {
	h := &Hosts{names: map[string]bool{}}
	var errs []error
	for _, entry := range insecure {
		if err := h.add(entry); err != nil {
			errs = append(errs, err)
		}
	}
	return h, errors.Join(errs...)
}

func (h *Hosts) add(entry string) error {
	entry = strings.ToLower(strings.TrimSpace(entry))
	entry = strings.TrimPrefix(strings.TrimPrefix(entry, "http://"), "https://")
	entry = strings.TrimSuffix(entry, "/")
	if entry == "" || strings.ContainsAny(entry, " \t") {
		return fmt.Errorf("insecure registry %q: want host, host:port or a CIDR network", entry)
	}
	if strings.Contains(entry, "/") {
		_, ipnet, err := net.ParseCIDR(entry)
		if err != nil {
			return fmt.Errorf("insecure registry %q: want host, host:port or a CIDR network", entry)
		}
		h.nets = append(h.nets, ipnet)
		return nil
	}
	h.names[entry] = true
	return nil
}

// LoadHosts reads the registry configuration file (the one named by
// $STACK_REGISTRIES_CONFIG, else DefaultConfigPath; a missing file is no
// error) and adds the insecure registries given on the command line.
func LoadHosts(flagged ...string) (*Hosts, error) {
	path := os.Getenv(ConfigEnv)
	if path == "" {
		path = DefaultConfigPath
	}
	fromFile, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	return NewHosts(append(fromFile, flagged...)...)
}

type fileConfig struct {
	Insecure []string `json:"insecure-registries"`
}

func readConfig(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c fileConfig
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %s", position(path, data, err), jsonProblem(err))
	}
	if _, err := NewHosts(c.Insecure...); err != nil {
		return nil, fmt.Errorf("%s: insecure-registries: %w", path, err)
	}
	return c.Insecure, nil
}

// position turns the byte offset of a JSON error into file:line:col.
func position(path string, data []byte, err error) string {
	var offset int64 = -1
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		offset = syntax.Offset - 1 // the offset is just past the bad byte
	case errors.As(err, &typ):
		offset = typ.Offset
	}
	if offset < 0 || offset > int64(len(data)) {
		return path
	}
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("%s:%d:%d", path, line, col)
}

func jsonProblem(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("%s: got a JSON %s, want a list of strings", typ.Field, typ.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Sprintf("unknown key %s, want insecure-registries", name)
	}
	return err.Error()
}

// Insecure reports whether the registry at host (host or host:port) may be
// spoken to over plain HTTP.
func (h *Hosts) Insecure(hostport string) bool {
	hostport = strings.ToLower(hostport)
	host := hostport
	if hh, _, err := net.SplitHostPort(hostport); err == nil {
		host = hh
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip != nil && ip.IsLoopback() {
		return true
	}
	if h == nil {
		return false
	}
	if h.names[hostport] || h.names[host] {
		return true
	}
	for _, n := range h.nets {
		if ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}
