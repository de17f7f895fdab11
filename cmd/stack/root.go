package main

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/spf13/cobra"
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
	parent string
	build  func(*globalOptions) *cobra.Command
}

var registrations []registration

func register(parent string, build func(*globalOptions) *cobra.Command) {
	registrations = append(registrations, registration{parent, build})
}

// engineGroups are the docker-style engine command groups.
var engineGroups = map[string]string{
	"image":     "Manage images",
	"container": "Manage containers",
	"network":   "Manage networks",
	"volume":    "Manage volumes",
}

func newRootCommand() *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "stack",
		Short:         "Run multi-container applications from a stack file",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	f := root.PersistentFlags()
	f.StringArrayVarP(&g.Files, "file", "f", nil, "stack file (repeatable; later files merge over earlier ones; - reads stdin)")
	f.StringVarP(&g.Project, "project-name", "p", "", "project name")
	f.StringVar(&g.ProjectDir, "project-directory", "", "project directory (default: the first stack file's directory)")
	f.StringArrayVar(&g.EnvFiles, "env-file", nil, "environment file for interpolation (repeatable)")
	f.StringArrayVar(&g.Profiles, "profile", nil, "enable a profile (repeatable)")
	f.StringVar(&g.Root, "root", envOr("STACK_ROOT", "/var/lib/stack"), "directory of persistent state (images, containers, volumes)")
	f.StringVar(&g.RunRoot, "run-root", envOr("STACK_RUN_ROOT", "/run/stack"), "directory of live state (pids, sockets)")
	f.StringVar(&g.LogLevel, "log-level", "info", "log level: debug, info, warn, error")

	groups := map[string]*cobra.Command{}
	names := make([]string, 0, len(engineGroups))
	for name := range engineGroups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		groups[name] = &cobra.Command{Use: name, Short: engineGroups[name]}
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
	return root
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
