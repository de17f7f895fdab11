package main

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// leaves returns the paths of the runnable commands under cmd.
func leaves(cmd *cobra.Command) []string {
	var out []string
	for _, c := range cmd.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if c.HasSubCommands() {
			for _, sub := range leaves(c) {
				out = append(out, c.Name()+" "+sub)
			}
			continue
		}
		out = append(out, c.Name())
	}
	return out
}

// TestEveryCommandBuildsAlone checks that each registered command is found
// by its name without building the whole tree: that is what keeps the start
// of every short command (and of every container's monitor) cheap.
func TestEveryCommandBuildsAlone(t *testing.T) {
	all := leaves(newRootCommandFor([]string{"help"}))
	if len(all) != len(registrations) {
		t.Fatalf("the whole tree has %d commands, want one per registration (%d)", len(all), len(registrations))
	}
	for _, path := range all {
		root := newRootCommandFor(append(strings.Fields(path), "--help"))
		got := leaves(root)
		if !slices.Equal(got, []string{path}) {
			t.Errorf("stack %s: built %d commands %v, want only that one (is it registered under its name?)", path, len(got), got)
		}
	}
}

func TestCommandPath(t *testing.T) {
	root := newRootCommandFor(nil)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"up", "-d"}, []string{"up"}},
		{[]string{"-f", "a.yaml", "-f", "b.yaml", "ps", "-a"}, []string{"ps"}},
		{[]string{"-fa.yaml", "ps"}, []string{"ps"}},
		{[]string{"--file=a.yaml", "-p", "demo", "logs", "web"}, []string{"logs"}},
		{[]string{"--project-directory", "/x", "--root", "/r", "image", "ls"}, []string{"image", "ls"}},
		{[]string{"image", "--run-root", "/r", "rm", "-f", "x"}, []string{"image", "rm"}},
		{[]string{"network", "prune", "-f"}, []string{"network", "prune"}},
		{[]string{"container"}, []string{"container"}},
		{[]string{"help", "up"}, []string{"help"}},
		{[]string{"--bogus", "ps"}, nil},
		{[]string{"-z", "ps"}, nil},
		{[]string{"--", "ps"}, nil},
		{nil, nil},
	}
	for _, tt := range tests {
		if got := commandPath(root, tt.args); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("commandPath(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

// TestRootCommandFallsBack checks that args naming no command by its own
// name (aliases, help, mistakes) still get cobra's whole tree.
func TestRootCommandFallsBack(t *testing.T) {
	for _, args := range [][]string{{"image", "list"}, {"container", "ps"}, {"help"}, {"upp"}, {"image"}, {}} {
		root := newRootCommandFor(args)
		if n := len(leaves(root)); n != len(registrations) {
			t.Errorf("stack %s: built %d commands, want the whole tree (%d)", strings.Join(args, " "), n, len(registrations))
		}
	}
	root := newRootCommandFor([]string{"image", "list"})
	cmd, _, err := root.Find([]string{"image", "list"})
	if err != nil || cmd.Name() != "ls" {
		t.Errorf("stack image list: found %v (%v), want image ls", cmd.Name(), err)
	}
}

func TestGlobalListFlags(t *testing.T) {
	g := &globalOptions{}
	flags := cobra.Command{}
	flags.Flags().VarP(newStringList(&g.Files), "file", "f", "")
	if err := flags.Flags().Parse([]string{"-f", "a.yaml", "--file=b.yaml", "-fc.yaml"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.yaml", "b.yaml", "c.yaml"}; !slices.Equal(g.Files, want) {
		t.Errorf("-f a.yaml --file=b.yaml -fc.yaml: got %q, want %q", g.Files, want)
	}
}

// TestLocalShorthands checks that the docker-style -f and -p of engine
// commands win over the global -f (--file) and -p (--project-name) after
// the command name, as in docker, and that no command's flags clash with
// the global ones (pflag panics on a clash when it merges them).
func TestLocalShorthands(t *testing.T) {
	tests := []struct {
		args       []string
		flag, want string
	}{
		{[]string{"network", "prune", "-f"}, "force", "true"},
		{[]string{"volume", "prune", "-f"}, "force", "true"},
		{[]string{"volume", "rm", "-f", "v"}, "force", "true"},
		{[]string{"volume", "ls", "-f", "label=a"}, "filter", "[label=a]"},
		{[]string{"image", "prune", "-f"}, "force", "true"},
		{[]string{"image", "rm", "-f", "busybox"}, "force", "true"},
		{[]string{"container", "rm", "-f", "c"}, "force", "true"},
		{[]string{"container", "logs", "-f", "c"}, "follow", "true"},
		{[]string{"-f", "x.yaml", "ps"}, "file", "[x.yaml]"},
	}
	for _, tt := range tests {
		root := newRootCommandFor(tt.args)
		cmd, rest, err := root.Find(tt.args[leadingGlobals(root, tt.args):])
		if err != nil {
			t.Errorf("stack %s: %v", strings.Join(tt.args, " "), err)
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("stack %s: %v", strings.Join(tt.args, " "), err)
			continue
		}
		if got := cmd.Flags().Lookup(tt.flag).Value.String(); got != tt.want {
			t.Errorf("stack %s: --%s = %s, want %s", strings.Join(tt.args, " "), tt.flag, got, tt.want)
		}
	}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: its flags clash with the global ones: %v", cmd.CommandPath(), r)
				}
			}()
			if err := cmd.ParseFlags(nil); err != nil {
				t.Errorf("%s: %v", cmd.CommandPath(), err)
			}
		}()
		for _, c := range cmd.Commands() {
			walk(c)
		}
	}
	walk(newRootCommandFor([]string{"help"}))
}

// TestGlobalFlagsBeforeCommand checks the Compose order: global flags in
// front of the command, the command's own -f and -p after it.
func TestGlobalFlagsBeforeCommand(t *testing.T) {
	tests := []struct {
		args                 []string
		file, project        string
		localFlag, localWant string
	}{
		{[]string{"-f", "x.yaml", "logs", "-f"}, "[x.yaml]", "", "follow", "true"},
		{[]string{"-f", "x.yaml", "-p", "demo", "rm", "-f"}, "[x.yaml]", "demo", "force", "true"},
		{[]string{"--file=x.yaml", "run", "-p", "8080:80", "web"}, "[x.yaml]", "", "publish", "[8080:80]"},
		{[]string{"-pdemo", "--root", "/tmp/r", "run", "-p", "80", "web"}, "", "demo", "publish", "[80]"},
		{[]string{"logs", "-f", "web"}, "", "", "follow", "true"},
		{[]string{"-p", "demo", "login", "-p", "secret", "localhost:5000"}, "", "demo", "password", "secret"},
	}
	for _, tt := range tests {
		name := strings.Join(tt.args, " ")
		root := newRootCommandFor(tt.args)
		global := root.PersistentFlags()
		if got := global.Lookup("file").Value.String(); got != tt.file {
			t.Errorf("stack %s: --file = %s, want %s", name, got, tt.file)
		}
		if got := global.Lookup("project-name").Value.String(); got != tt.project {
			t.Errorf("stack %s: --project-name = %q, want %q", name, got, tt.project)
		}
		rest := tt.args[leadingGlobals(root, tt.args):]
		cmd, flags, err := root.Find(rest)
		if err == nil {
			err = cmd.ParseFlags(flags)
		}
		if err != nil {
			t.Errorf("stack %s: %v", name, err)
			continue
		}
		if got := cmd.Flags().Lookup(tt.localFlag).Value.String(); got != tt.localWant {
			t.Errorf("stack %s: --%s = %s, want %s", name, tt.localFlag, got, tt.localWant)
		}
	}

	// After a command that has its own -f, --file is refused, not ignored.
	args := []string{"logs", "--file", "x.yaml"}
	root := newRootCommandFor(args)
	cmd, flags, err := root.Find(args)
	if err == nil {
		err = cmd.ParseFlags(flags)
	}
	if err == nil || !strings.Contains(err.Error(), "give it before the command") {
		t.Errorf("stack logs --file x.yaml: %v, want an error saying where --file goes", err)
	}
}
