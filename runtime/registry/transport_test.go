package registry

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// schemeRecorder answers every request and remembers the URL it was sent to.
type schemeRecorder struct{ got []string }

func (r *schemeRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = append(r.got, req.URL.Scheme+"://"+req.URL.Host)
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

func TestGuardKeepsPlainHTTPForInsecureRegistriesOnly(t *testing.T) {
	hosts, err := NewHosts("10.0.0.0/8", "lan.example:5000")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		url, want string
	}{
		{"http://127.0.0.1:5000/v2/", "http://127.0.0.1:5000"},
		{"http://localhost:5000/v2/x/manifests/latest", "http://localhost:5000"},
		{"http://10.1.2.3:5000/v2/", "http://10.1.2.3:5000"},
		{"http://lan.example:5000/v2/", "http://lan.example:5000"},
		{"http://192.168.1.2:5000/v2/", "https://192.168.1.2:5000"}, // private, but not configured
		{"http://registry.local/v2/", "https://registry.local"},
		{"https://index.docker.io/v2/", "https://index.docker.io"},
	} {
		rec := &schemeRecorder{}
		g := &guard{base: rec, hosts: hosts}
		req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
		resp, err := g.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(rec.got) != 1 || rec.got[0] != tc.want {
			t.Errorf("%s went to %v, want %s", tc.url, rec.got, tc.want)
		}
	}
}

func TestDialerRemembersFailures(t *testing.T) {
	addr := closedAddr(t)
	d := &dialer{failed: map[string]error{}}
	_, first := d.DialContext(context.Background(), "tcp", addr)
	var unreachable *unreachableError
	if !errors.As(first, &unreachable) || unreachable.addr != addr {
		t.Fatalf("dial %s: %v, want an unreachableError naming it", addr, first)
	}
	if _, second := d.DialContext(context.Background(), "tcp", addr); second != first {
		t.Errorf("second dial: %v, want the remembered %v", second, first)
	}
}

func TestProgressLinesAndBars(t *testing.T) {
	var plain bytes.Buffer
	p := newProgress(&plain)
	p.set("aaaaaaaaaaaa", statusDownloading, 2000)
	p.advance("aaaaaaaaaaaa", 1000)
	p.set("aaaaaaaaaaaa", statusPulled, 2000)
	p.printf("Digest: sha256:x")
	want := "aaaaaaaaaaaa: Downloading\naaaaaaaaaaaa: Pull complete\nDigest: sha256:x\n"
	if plain.String() != want {
		t.Errorf("plain progress:\n%q\nwant\n%q", plain.String(), want)
	}

	var tty bytes.Buffer
	p = &progress{w: &tty, tty: true, byID: map[string]*row{}}
	p.set("aaaaaaaaaaaa", statusDownloading, 2000)
	p.set("bbbbbbbbbbbb", statusWaiting, 10)
	p.advance("aaaaaaaaaaaa", 1000)
	p.finish()
	out := tty.String()
	for _, want := range []string{
		"aaaaaaaaaaaa: Downloading [====================>                   ] 1kB/2kB",
		"bbbbbbbbbbbb: Waiting",
		"\x1b[2A", // back over the two rows to redraw them
	} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal progress lacks %q:\n%q", want, out)
		}
	}
}
