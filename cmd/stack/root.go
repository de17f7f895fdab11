package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// globalOptions are the flags every command accepts.
type globalOptions struct {
	Files      []string // -f, in order; "-" is stdin
	Project    string   // -p
	ProjectDir string   // --project-directory
	EnvFiles   []string // --env-file
	Profiles   []string // --profile
	Root       string   // --root: persistent state
	RunRoot    string   // --run-root: live state
	LogLevel   string   // --log-level
}

// A registration adds one command under a parent ("" for the top level, or
// "image", "container", "network", "volume"). Command files register
// themselves from init so that each command stays in a file of its own.
type registration struct {
	parent, name string // name is the command's Name(), see TestEveryCommandBuildsAlone
	build        func(*globalOptions) *cobra.Command
}

var registrations []registration

func register(parent, name string, build func(*globalOptions) *cobra.Command) {
	registrations = append(registrations, registration{parent, name, build})
}

// engineGroups are the docker-style engine command groups.
var engineGroups = map[string]string{
	"image":     "Manage images",
	"container": "Manage containers",
	"network":   "Manage networks",
	"volume":    "Manage volumes",
}

func newRootCommand() *cobra.Command {
	return newRootCommandFor(os.Args[1:])
}

// newRootCommandFor builds the command tree that args need. Building every
// command defines hundreds of flags, a good part of the start-up time of
// each short command (and of every container's monitor), so when args name
// one registered command only that one is built; anything else (help,
// completion, an alias, a typo) gets the whole tree, for cobra's own
// messages and suggestions.
func newRootCommandFor(args []string) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "stack",
		Short:         "Run multi-container applications from a stack file",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	f := root.PersistentFlags()
	f.VarP(newStringList(&g.Files), "file", "f", "stack file (repeatable; later files merge over earlier ones; - reads stdin)")
	f.StringVarP(&g.Project, "project-name", "p", "", "project name")
	f.StringVar(&g.ProjectDir, "project-directory", "", "project directory (default: the first stack file's directory)")
	f.Var(newStringList(&g.EnvFiles), "env-file", "environment file for interpolation (repeatable)")
	f.Var(newStringList(&g.Profiles), "profile", "enable a profile (repeatable)")
	f.StringVar(&g.Root, "root", envOr("STACK_ROOT", "/var/lib/stack"), "directory of persistent state (images, containers, volumes)")
	f.StringVar(&g.RunRoot, "run-root", envOr("STACK_RUN_ROOT", "/run/stack"), "directory of live state (pids, sockets)")
	f.StringVar(&g.LogLevel, "log-level", "info", "log level: debug, info, warn, error")

	// The global flags in front of the command are read here, as Compose
	// reads them: after the command, -f and -p may be the command's own
	// (logs -f, rm -f, run -p).
	if n := leadingGlobals(root, args); n > 0 {
		if err := f.Parse(args[:n]); err != nil {
			root.RunE = func(*cobra.Command, []string) error { return err }
			root.SetArgs([]string{})
			return root
		}
		args = args[n:]
		root.SetArgs(args)
	}
	if parent, cmd := buildNamed(g, commandPath(root, args)); cmd != nil {
		// args name a command, not "completion": cobra need not build its
		// four shell commands.
		root.CompletionOptions.DisableDefaultCmd = true
		if parent == "" {
			root.AddCommand(cmd)
		} else {
			group := newGroupCommand(parent)
			group.AddCommand(cmd)
			root.AddCommand(group)
		}
		return root
	}
	addAllCommands(root, g)
	return root
}

func newGroupCommand(name string) *cobra.Command {
	return &cobra.Command{Use: name, Short: engineGroups[name]}
}

func addAllCommands(root *cobra.Command, g *globalOptions) {
	groups := map[string]*cobra.Command{}
	names := make([]string, 0, len(engineGroups))
	for name := range engineGroups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		groups[name] = newGroupCommand(name)
	}
	for _, r := range registrations {
		cmd := r.build(g)
		if r.parent == "" {
			root.AddCommand(cmd)
			continue
		}
		parent, ok := groups[r.parent]
		if !ok {
			panic("unknown command group " + r.parent)
		}
		parent.AddCommand(cmd)
	}
	for _, name := range names {
		if groups[name].HasSubCommands() {
			root.AddCommand(groups[name])
		}
	}
}

// leadingGlobals returns how many of args, from the front, are global
// flags and their values; 0 when args start with anything else or with a
// flag it cannot read for sure, which cobra then parses as before.
func leadingGlobals(root *cobra.Command, args []string) int {
	i := 0
	for i < len(args) {
		arg := args[i]
		var flag *pflag.Flag
		inline := false
		switch {
		case arg == "--" || arg == "-" || !strings.HasPrefix(arg, "-"):
			return i
		case strings.HasPrefix(arg, "--"):
			name, _, hasValue := strings.Cut(arg[2:], "=")
			flag, inline = root.PersistentFlags().Lookup(name), hasValue
		default:
			flag, inline = root.PersistentFlags().ShorthandLookup(arg[1:2]), len(arg) > 2
		}
		if flag == nil {
			return 0
		}
		i++
		if !inline && flag.NoOptDefVal == "" {
			if i == len(args) {
				return 0 // a missing value: cobra says so
			}
			i++
		}
	}
	return i
}

// commandPath returns the command words at the front of args, the way cobra
// finds them: the root's flags and their values are skipped, and at most two
// words are taken (a group and its command). It returns nil when args start
// with something it cannot read for sure.
func commandPath(root *cobra.Command, args []string) []string {
	var path []string
	for i := 0; i < len(args) && len(path) < 2; i++ {
		arg := args[i]
		switch {
		case arg == "--" || arg == "-" || arg == "":
			return nil
		case strings.HasPrefix(arg, "--"):
			name, _, hasValue := strings.Cut(arg[2:], "=")
			flag := root.PersistentFlags().Lookup(name)
			if flag == nil {
				return nil
			}
			if !hasValue && flag.NoOptDefVal == "" {
				i++
			}
		case strings.HasPrefix(arg, "-"):
			flag := root.PersistentFlags().ShorthandLookup(arg[1:2])
			if flag == nil {
				return nil
			}
			if len(arg) == 2 && flag.NoOptDefVal == "" {
				i++
			}
		default:
			path = append(path, arg)
			if _, group := engineGroups[arg]; !group {
				return path
			}
		}
	}
	return path
}

// buildNamed builds the one registered command that path names, and
// returns it with its group; nil when path names no registered command by
// its name.
func buildNamed(g *globalOptions, path []string) (string, *cobra.Command) {
	var parent, name string
	switch len(path) {
	case 1:
		name = path[0]
	case 2:
		parent, name = path[0], path[1]
	default:
		return "", nil
	}
	if _, group := engineGroups[parent]; parent != "" && !group {
		return "", nil
	}
	for _, r := range registrations {
		if r.parent != parent || r.name != name {
			continue
		}
		cmd := r.build(g)
		if cmd.Name() != name {
			return "", nil
		}
		return parent, cmd
	}
	return "", nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// exitStatus is an error that carries the process exit code to use, for
// commands that pass a container's status through (run, exec, up
// --exit-code-from). Its message may be empty when nothing is to be printed.
type exitStatus struct {
	Code int
	Err  error
}

func (e *exitStatus) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

func (e *exitStatus) Unwrap() error { return e.Err }

func exitCode(err error) int {
	var status *exitStatus
	if errors.As(err, &status) {
		return status.Code
	}
	return 1
}

// checkListFormat accepts the --format values every list command takes.
func checkListFormat(format string) error {
	if format != "table" && format != "json" {
		return fmt.Errorf("--format %q: expected table or json", format)
	}
	return nil
}

// stringList is a repeatable string flag, like pflag's StringArray, without
// its cost at definition: pflag formats every StringArray's default through
// a CSV writer (a fresh 4 KiB buffer each), which each command start pays.
type stringList struct {
	values  *[]string
	changed bool
}

func newStringList(values *[]string) *stringList { return &stringList{values: values} }

func (l *stringList) Set(value string) error {
	if !l.changed {
		*l.values = nil
		l.changed = true
	}
	*l.values = append(*l.values, value)
	return nil
}

func (l *stringList) Type() string { return "stringArray" }

func (l *stringList) String() string {
	if len(*l.values) == 0 {
		return ""
	}
	return "[" + strings.Join(*l.values, ",") + "]"
}
