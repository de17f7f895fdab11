package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"stack/spec"
)

func init() {
	register("", "config", newConfigCommand)
}

type configOptions struct {
	global        *globalOptions
	Services      []string // restrict the output to these services
	Format        string   // yaml or json
	ListServices  bool
	ListVolumes   bool
	ListNetworks  bool
	ListProfiles  bool
	ListImages    bool
	Hash          string // "SERVICE[,SERVICE...]" or "*"
	NoInterpolate bool
	NoConsistency bool
	Quiet         bool
	Output        string
	Stdin         io.Reader
	Stdout        io.Writer
	Stderr        io.Writer
	Environ       map[string]string // nil: the process environment
	WorkingDir    string            // "": the process working directory
}

func newConfigCommand(g *globalOptions) *cobra.Command {
	options := &configOptions{global: g}
	cmd := &cobra.Command{
		Use:   "config [OPTIONS] [SERVICE...]",
		Short: "Validate the stack file and print it in normalized form",
		RunE: func(cmd *cobra.Command, args []string) error {
			options.Services = args
			options.Stdin = cmd.InOrStdin()
			options.Stdout = cmd.OutOrStdout()
			options.Stderr = cmd.ErrOrStderr()
			return runConfig(cmd.Context(), options)
		},
	}
	f := cmd.Flags()
	f.StringVar(&options.Format, "format", "yaml", "output format: yaml or json")
	f.BoolVar(&options.ListServices, "services", false, "print the service names, one per line")
	f.BoolVar(&options.ListVolumes, "volumes", false, "print the volume names, one per line")
	f.BoolVar(&options.ListNetworks, "networks", false, "print the network names, one per line")
	f.BoolVar(&options.ListProfiles, "profiles", false, "print the profile names, one per line")
	f.BoolVar(&options.ListImages, "images", false, "print the image names, one per line")
	f.StringVar(&options.Hash, "hash", "", `print "SERVICE HASH" lines for the given services ("*" for all)`)
	f.BoolVar(&options.NoInterpolate, "no-interpolate", false, "do not expand ${VAR} references")
	f.BoolVar(&options.NoConsistency, "no-consistency", false, "skip the checks that only matter at run time (image or build present)")
	f.BoolVarP(&options.Quiet, "quiet", "q", false, "only validate; the exit code says whether the project is valid")
	f.StringVarP(&options.Output, "output", "o", "", "write the result to this file instead of stdout")
	return cmd
}

func runConfig(ctx context.Context, options *configOptions) error {
	if options.Format != "yaml" && options.Format != "json" {
		return fmt.Errorf("--format %q: expected yaml or json", options.Format)
	}
	g := options.global
	project, err := spec.Load(ctx, spec.Options{
		Files:             g.Files,
		ProjectName:       g.Project,
		ProjectDir:        g.ProjectDir,
		EnvFiles:          g.EnvFiles,
		Profiles:          g.Profiles,
		Environ:           options.Environ,
		WorkingDir:        options.WorkingDir,
		Stdin:             options.Stdin,
		SkipInterpolation: options.NoInterpolate,
		SkipConsistency:   options.NoConsistency,
	})
	if err != nil {
		return err
	}
	if options.Quiet {
		return nil
	}
	for _, w := range project.Warnings {
		fmt.Fprintln(options.Stderr, "warning:", w)
	}
	if err := selectServices(project, options.Services); err != nil {
		return err
	}
	var hashes map[string]string
	if options.Hash != "" {
		// The hash up writes on containers covers the image ID and the
		// files a service reads, so it needs the host's image store.
		if hashes, err = configHashes(ctx, g, project); err != nil {
			return err
		}
	}
	out, err := configOutput(project, options, hashes)
	if err != nil {
		return err
	}
	if options.Output != "" {
		return os.WriteFile(options.Output, out, 0o644)
	}
	_, err = options.Stdout.Write(out)
	return err
}

// selectServices keeps the named services and the ones they depend on.
func selectServices(p *spec.Project, names []string) error {
	if len(names) == 0 {
		return nil
	}
	keep := map[string]bool{}
	var add func(name string) error
	add = func(name string) error {
		if keep[name] {
			return nil
		}
		s, ok := p.Services[name]
		if !ok {
			return fmt.Errorf("no such service: %q", name)
		}
		keep[name] = true
		for dep := range s.DependsOn {
			if _, ok := p.Services[dep]; ok {
				if err := add(dep); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, name := range names {
		if err := add(name); err != nil {
			return err
		}
	}
	for name := range p.Services {
		if !keep[name] {
			delete(p.Services, name)
		}
	}
	return nil
}

func configOutput(p *spec.Project, options *configOptions, hashes map[string]string) ([]byte, error) {
	switch {
	case options.ListServices:
		return lines(p.ServiceNames()), nil
	case options.ListVolumes:
		return lines(p.VolumeNames()), nil
	case options.ListNetworks:
		return lines(p.NetworkNames()), nil
	case options.ListProfiles:
		return lines(projectProfiles(p)), nil
	case options.ListImages:
		return lines(projectImages(p)), nil
	case options.Hash != "":
		return hashLines(p, options.Hash, hashes)
	case options.Format == "json":
		b, err := json.MarshalIndent(p, "", "  ")
		return append(b, '\n'), err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

func lines(items []string) []byte {
	if len(items) == 0 {
		return nil
	}
	return []byte(strings.Join(items, "\n") + "\n")
}

// projectProfiles lists every profile named by a service, enabled or not.
func projectProfiles(p *spec.Project) []string {
	set := map[string]bool{}
	for _, services := range []map[string]*spec.Service{p.Services, p.DisabledServices} {
		for _, s := range services {
			for _, profile := range s.Profiles {
				set[profile] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for profile := range set {
		out = append(out, profile)
	}
	sort.Strings(out)
	return out
}

// projectImages lists the image of each service; a service that is only
// built is named <project>-<service> as Compose names it.
func projectImages(p *spec.Project) []string {
	var out []string
	for _, name := range p.ServiceNames() {
		image := p.Services[name].Image
		if image == "" {
			image = p.Name + "-" + name
		}
		out = append(out, image)
	}
	return out
}

func hashLines(p *spec.Project, selector string, hashes map[string]string) ([]byte, error) {
	names := p.ServiceNames()
	if selector != "*" {
		names = strings.Split(selector, ",")
	}
	var buf bytes.Buffer
	for _, name := range names {
		hash, ok := hashes[name]
		if !ok {
			return nil, fmt.Errorf("--hash: no such service: %q", name)
		}
		fmt.Fprintf(&buf, "%s %s\n", name, hash)
	}
	return buf.Bytes(), nil
}
