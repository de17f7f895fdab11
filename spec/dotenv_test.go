package spec

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseDotenv(t *testing.T) {
	tests := []struct {
		name, in string
		env      map[string]string
		want     map[string]string
		err      string
	}{
		{name: "plain", in: "A=1\nB = 2\n# comment\n\nC=three # comment\nD=four#five\n",
			want: map[string]string{"A": "1", "B": "2", "C": "three", "D": "four#five"}},
		{name: "export", in: "export A=1\n", want: map[string]string{"A": "1"}},
		{name: "single quotes are literal", in: `A='x\ny $B'` + "\n", want: map[string]string{"A": `x\ny $B`}},
		{name: "double quotes process escapes", in: `A="x\ny\t\"q\" \$B"` + "\n", want: map[string]string{"A": "x\ny\t\"q\" $B"}},
		{name: "multi-line double quotes", in: "A=\"line1\nline2\"\nB=2\n", want: map[string]string{"A": "line1\nline2", "B": "2"}},
		{name: "comment after quotes", in: "A=\"v\" # note\n", want: map[string]string{"A": "v"}},
		{name: "expansion from earlier lines", in: "A=1\nB=${A}_$A\nC=${UNSET:-d}\n", want: map[string]string{"A": "1", "B": "1_1", "C": "d"}},
		{name: "environment wins in expansion", in: "A=1\nB=$A\n", env: map[string]string{"A": "5"}, want: map[string]string{"A": "1", "B": "5"}},
		{name: "bare key from environment", in: "A\nB\n", env: map[string]string{"A": "x"}, want: map[string]string{"A": "x"}},
		{name: "key with digit first is dropped", in: "456 = ABC\nA=1\n", want: map[string]string{"A": "1"}},
		{name: "value with = and ?", in: "URL=postgres://h:5432/db?sslmode=disable\n", want: map[string]string{"URL": "postgres://h:5432/db?sslmode=disable"}},
		{name: "dots and dashes", in: "A.B=1\nC-D=2\n", want: map[string]string{"A.B": "1", "C-D": "2"}},
		{name: "BOM and CRLF", in: "\xef\xbb\xbfA=1\r\nB=2\r\n", want: map[string]string{"A": "1", "B": "2"}},
		{name: "space in key", in: "A B=1\n", err: "line 1: key cannot contain a space"},
		{name: "unterminated quote", in: "A=1\nB=\"open\n", err: "line 2: unterminated quoted value"},
		{name: "garbage after quote", in: "A='x' y\n", err: `line 1: unexpected "y" after the closing quote`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			got, _, err := parseDotenv([]byte(tt.in), func(name string) (string, bool) { v, ok := env[name]; return v, ok })
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("got error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// TestDotenvFixtures checks the corpus's dotenv fixtures against the
// results its manifest records.
func TestDotenvFixtures(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "compose-go", "dotenv", "fixtures")
	none := func(string) (string, bool) { return "", false }
	read := func(name string, lookup lookupFunc) (map[string]string, error) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		vars, _, err := parseDotenv(data, lookup)
		return vars, err
	}
	plain := map[string]string{"OPTION_A": "1", "OPTION_B": "2", "OPTION_C": "3", "OPTION_D": "4", "OPTION_E": "5", "OPTION_F": "", "OPTION_G": "", "OPTION_H": "my string"}
	for _, name := range []string{"plain.env", "utf8-bom.env"} {
		got, err := read(name, none)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != len(plain) {
			t.Errorf("%s: got %d keys %q, want %d", name, len(got), got, len(plain))
		}
		for k, v := range plain {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", name, k, got[k], v)
			}
		}
	}
	got, err := read("quoted.env", none)
	if err != nil || len(got) != 12 {
		t.Errorf("quoted.env: %d keys, %v; want 12", len(got), err)
	}
	got, _ = read("substitutions.env", func(name string) (string, bool) {
		if name == "OPTION_A" {
			return "5", true
		}
		return "", false
	})
	if got["OPTION_A"] != "1" || got["OPTION_B"] != "5" || got["OPTION_D"] != "5_5" {
		t.Errorf("substitutions.env with OPTION_A=5: %q", got)
	}
	got, _ = read("equals.env", none)
	found := false
	for _, v := range got {
		found = found || v == "postgres://localhost:5432/database?sslmode=disable"
	}
	if !found {
		t.Errorf("equals.env: %q has no intact URL", got)
	}
	got, _ = read("inherited-not-found.env", none)
	if len(got) != 0 {
		t.Errorf("inherited-not-found.env: %q, want nothing", got)
	}
	if _, err := read("invalid1.env", none); err == nil || err.Error() != "line 7: key cannot contain a space" {
		t.Errorf("invalid1.env: error %v, want line 7: key cannot contain a space", err)
	}
}

func TestRawEnvFile(t *testing.T) {
	dir := corpusDir(t)
	p, err := loadCorpus(dir, []string{"docker-compose-e2e/testdata/TestRawEnvFile/compose.yaml"}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := p.Services["test"].Environment["TEST_VAR"]
	if v == nil || *v != `'{"key": "value"}'` {
		t.Errorf("TEST_VAR = %v, want the raw line with its quotes", v)
	}
}

func TestLoadWithoutConsistency(t *testing.T) {
	dir := corpusDir(t)
	p, err := loadCorpus(dir, []string{"docker-compose-e2e/testdata/TestLocalComposeConfigNoConsistency/compose.yaml"}, nil, Options{SkipConsistency: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Services["incomplete"]; !ok {
		t.Errorf("services = %v, want incomplete", p.ServiceNames())
	}
}
