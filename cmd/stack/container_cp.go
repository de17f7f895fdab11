package main

import (
	"context"
	"errors"
	"strings"

	"github.com/spf13/cobra"
)

func init() {
	register("container", "cp", newContainerCpCommand)
}

type containerCpOptions struct {
	global   *globalOptions
	src, dst string
}

func newContainerCpCommand(g *globalOptions) *cobra.Command {
	o := &containerCpOptions{global: g}
	return &cobra.Command{
		Use:   "cp CONTAINER:SRC_PATH DEST_PATH | SRC_PATH CONTAINER:DEST_PATH",
		Short: "Copy files between a running container and the host",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.src, o.dst = args[0], args[1]
			return runContainerCp(cmd.Context(), o)
		},
	}
}

// splitContainerPath reads CONTAINER:PATH; a path with a slash before any
// colon is a host path.
func splitContainerPath(arg string) (string, string, bool) {
	name, path, ok := strings.Cut(arg, ":")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", arg, false
	}
	return name, path, true
}

func runContainerCp(_ context.Context, o *containerCpOptions) error {
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	srcName, srcPath, fromContainer := splitContainerPath(o.src)
	dstName, dstPath, toContainer := splitContainerPath(o.dst)
	switch {
	case fromContainer && toContainer:
		return errors.New("cp: copying between two containers is not supported")
	case fromContainer:
		return store.CopyFrom(srcName, srcPath, dstPath)
	case toContainer:
		return store.CopyTo(dstName, srcPath, dstPath)
	}
	return errors.New("cp: one of the paths must be CONTAINER:PATH")
}
