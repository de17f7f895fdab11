package main

import (
	"errors"
	"io"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// terminal is the controlling terminal put in raw mode for -t.
type terminal struct {
	fd    int
	saved *unix.Termios
}

// makeRaw puts in's terminal in raw mode; in must be a terminal.
func makeRaw(in io.Reader) (*terminal, error) {
	f, ok := in.(*os.File)
	if !ok {
		return nil, errors.New("-t: stdin is not a terminal")
	}
	fd := int(f.Fd())
	saved, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, errors.New("-t: stdin is not a terminal")
	}
	raw := *saved
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Oflag &^= unix.OPOST
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil, err
	}
	return &terminal{fd: fd, saved: saved}, nil
}

func (t *terminal) restore() { unix.IoctlSetTermios(t.fd, unix.TCSETS, t.saved) }

// followSize calls resize now and on every window change until stopped.
func (t *terminal) followSize(resize func(rows, cols uint16)) (stop func()) {
	send := func() {
		if ws, err := unix.IoctlGetWinsize(t.fd, unix.TIOCGWINSZ); err == nil {
			resize(ws.Row, ws.Col)
		}
	}
	send()
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, unix.SIGWINCH)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-ch:
				send()
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}
