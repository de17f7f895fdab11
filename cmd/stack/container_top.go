package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"stack/runtime/container"
)

func init() {
	register("container", "top", newContainerTopCommand)
}

type containerTopOptions struct {
	global *globalOptions
	ref    string
	out    io.Writer
}

func newContainerTopCommand(g *globalOptions) *cobra.Command {
	o := &containerTopOptions{global: g}
	return &cobra.Command{
		Use:   "top CONTAINER",
		Short: "Show the running processes of a container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ref, o.out = args[0], cmd.OutOrStdout()
			return runContainerTop(cmd.Context(), o)
		},
	}
}

func runContainerTop(_ context.Context, o *containerTopOptions) error {
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	c, err := store.Get(o.ref)
	if err != nil {
		return err
	}
	if !c.Running() {
		return fmt.Errorf("%w: %s", container.ErrNotRunning, c.Name)
	}
	w := tabwriter.NewWriter(o.out, 0, 4, 3, ' ', 0)
	fmt.Fprintln(w, "UID\tPID\tPPID\tSTAT\tCMD")
	for _, pid := range store.Processes(c) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		cmd := strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
		uid := ""
		if st, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			uid = fmt.Sprint(st.Sys().(*syscall.Stat_t).Uid)
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\n", uid, pid, fields[1], fields[0], cmd)
	}
	return w.Flush()
}
