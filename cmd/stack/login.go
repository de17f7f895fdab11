package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"stack/runtime/registry"
)

func init() {
	register("", "login", newLoginCommand)
}

type loginOptions struct {
	server        string
	username      string
	password      string
	passwordStdin bool
	insecure      []string
	stdin         *os.File
	out, errOut   io.Writer
}

func newLoginCommand(_ *globalOptions) *cobra.Command {
	o := &loginOptions{}
	cmd := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Log in to a registry (Docker Hub when no server is given)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.server = args[0]
			}
			o.stdin, o.out, o.errOut = os.Stdin, cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runLogin(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.username, "username", "u", "", "username")
	shadowGlobalFlags(f, "project-name") // stack login -p PASSWORD, as docker login
	f.StringVarP(&o.password, "password", "p", "", "password (prefer --password-stdin)")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from stdin")
	f.StringArrayVar(&o.insecure, "insecure-registry", nil, "registry (host[:port] or CIDR) to reach over plain HTTP (repeatable)")
	return cmd
}

func runLogin(ctx context.Context, o *loginOptions) error {
	if o.password != "" && o.passwordStdin {
		return fmt.Errorf("--password and --password-stdin: give only one")
	}
	if o.password != "" {
		fmt.Fprintln(o.errOut, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
	}
	stdin := bufio.NewReader(o.stdin)
	if o.passwordStdin {
		if o.username == "" {
			return fmt.Errorf("--password-stdin: give the username with --username")
		}
		data, err := io.ReadAll(stdin)
		if err != nil {
			return fmt.Errorf("--password-stdin: %w", err)
		}
		o.password = strings.TrimRight(string(data), "\r\n")
	}
	if err := promptMissing(o, stdin); err != nil {
		return err
	}
	hosts, err := registry.LoadHosts(o.insecure...)
	if err != nil {
		return fmt.Errorf("--insecure-registry: %w", err)
	}
	if _, err := registry.Login(ctx, o.server, registry.LoginOptions{Username: o.username, Password: o.password, Hosts: hosts}); err != nil {
		return err
	}
	fmt.Fprintln(o.out, "Login Succeeded")
	return nil
}

// promptMissing asks a terminal for what the flags did not give; without a
// terminal the flags are required.
func promptMissing(o *loginOptions, stdin *bufio.Reader) error {
	if o.username != "" && o.password != "" {
		return nil
	}
	termios, err := unix.IoctlGetTermios(int(o.stdin.Fd()), unix.TCGETS)
	if err != nil {
		return fmt.Errorf("no terminal to ask for credentials: give --username and --password-stdin")
	}
	if o.username == "" {
		fmt.Fprint(o.errOut, "Username: ")
		line, err := stdin.ReadString('\n')
		if err != nil {
			return fmt.Errorf("username: %w", err)
		}
		o.username = strings.TrimSpace(line)
	}
	if o.password == "" {
		fmt.Fprint(o.errOut, "Password: ")
		quiet := *termios
		quiet.Lflag &^= unix.ECHO
		if err := unix.IoctlSetTermios(int(o.stdin.Fd()), unix.TCSETS, &quiet); err != nil {
			return fmt.Errorf("password: %w", err)
		}
		line, err := stdin.ReadString('\n')
		unix.IoctlSetTermios(int(o.stdin.Fd()), unix.TCSETS, termios)
		fmt.Fprintln(o.errOut)
		if err != nil {
			return fmt.Errorf("password: %w", err)
		}
		o.password = strings.TrimRight(line, "\r\n")
	}
	return nil
}
