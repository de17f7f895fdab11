package dockerfile

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Instruction // Command, Flags, Args, JSON, IsJSON, Heredocs, Line compared
	}{
		{
			name: "continuations and comments",
			in:   "FROM busybox AS base\n\n# a comment\nRUN echo a \\\n  # inside\n\n  && echo b\nCMD [\"sh\", \"-c\", \"x\"]\n",
			want: []Instruction{
				{Command: "from", Args: "busybox AS base", Line: 1},
				{Command: "run", Args: "echo a   && echo b", Line: 4},
				{Command: "cmd", Args: `["sh", "-c", "x"]`, JSON: []string{"sh", "-c", "x"}, IsJSON: true, Line: 8},
			},
		},
		{
			name: "flags",
			in:   "COPY --from=build --chown=1:2 /a /b\nADD --chmod=644 x y\n",
			want: []Instruction{
				{Command: "copy", Flags: []string{"--from=build", "--chown=1:2"}, Args: "/a /b", Line: 1},
				{Command: "add", Flags: []string{"--chmod=644"}, Args: "x y", Line: 2},
			},
		},
		{
			name: "not json stays shell form",
			in:   "RUN [ -f /x ] || true\nENTRYPOINT [\"a\"\n",
			want: []Instruction{
				{Command: "run", Args: "[ -f /x ] || true", Line: 1},
				{Command: "entrypoint", Args: `["a"`, Line: 2},
			},
		},
		{
			name: "escape directive",
			in:   "# escape=`\nFROM x\nRUN echo \\ `\n  c:\\dir\n",
			want: []Instruction{
				{Command: "from", Args: "x", Line: 2},
				{Command: "run", Args: `echo \   c:\dir`, Line: 3},
			},
		},
		{
			name: "heredocs",
			in:   "FROM x\nRUN <<EOF\necho $A\n  two\nEOF\nCOPY <<-\"a\" <<b /dst/\n\tfirst\n\ta\nsecond\nb\nENV X=1\n",
			want: []Instruction{
				{Command: "from", Args: "x", Line: 1},
				{Command: "run", Args: "<<EOF", Heredocs: []Heredoc{{Name: "EOF", Token: "<<EOF", Content: "echo $A\n  two\n", Expand: true}}, Line: 2},
				{Command: "copy", Args: `<<-"a" <<b /dst/`, Heredocs: []Heredoc{
					{Name: "a", Token: `<<-"a"`, Content: "first\n", Chomp: true},
					{Name: "b", Token: "<<b", Content: "second\n", Expand: true},
				}, Line: 6},
				{Command: "env", Args: "X=1", Line: 11},
			},
		},
		{
			name: "keyword case and tabs",
			in:   "from\tx\nRun\techo\n",
			want: []Instruction{
				{Command: "from", Args: "x", Line: 1},
				{Command: "run", Args: "echo", Line: 2},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var got []Instruction
			for _, ins := range f.Instructions {
				got = append(got, Instruction{Command: ins.Command, Flags: ins.Flags, Args: ins.Args,
					JSON: ins.JSON, IsJSON: ins.IsJSON, Heredocs: ins.Heredocs, Line: ins.Line})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"FROM x\nFROB y\n", "line 2: unknown instruction: FROB"},
		{"# escape=x\nFROM y\n", "line 1: invalid escape token"},
		{"FROM x\nRUN <<EOF\necho\n", "line 2: unterminated heredoc EOF"},
		{"# syntax=a\n# syntax=b\n", "line 2: only one syntax parser directive"},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader(tt.in))
		var perr *Error
		if !errors.As(err, &perr) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}

func TestDirectivesStopAtFirstOtherLine(t *testing.T) {
	f, err := Parse(strings.NewReader("# syntax=docker/dockerfile:1\nFROM x\n# escape=`\nRUN a \\\n b\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Directives["syntax"], "docker/dockerfile:1"; got != want {
		t.Errorf("syntax = %q, want %q", got, want)
	}
	if f.Escape != '\\' {
		t.Errorf("escape = %q, want \\ (a directive after an instruction is a comment)", f.Escape)
	}
}

func TestKeyValues(t *testing.T) {
	tests := []struct {
		in   string
		want []KeyValue
	}{
		{`A=1 B="two words" C=x\ y`, []KeyValue{{"A", "1", true}, {"B", `"two words"`, true}, {"C", `x\ y`, true}}},
		{`NAME some value here`, []KeyValue{{"NAME", "some value here", true}}},
		{`E=`, []KeyValue{{"E", "", true}}},
	}
	for _, tt := range tests {
		got, err := KeyValues(tt.in, '\\', "env")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("KeyValues(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", "=x", "ONLY"} {
		if _, err := KeyValues(bad, '\\', "env"); err == nil {
			t.Errorf("KeyValues(%q) succeeded, want an error", bad)
		}
	}
}
