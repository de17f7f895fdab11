package container

import (
	"encoding/json"
	"fmt"

	"golang.org/x/sys/unix"
)

// The monitor and the init talk over a SOCK_SEQPACKET socket pair: one JSON
// message per packet, file descriptors riding along as SCM_RIGHTS.
const (
	msgConfig  = "config"  // monitor → init: the initConfig
	msgReady   = "ready"   // init → monitor: the container's file system and settings are in place
	msgStart   = "start"   // monitor → init: networking is wired, start the main process
	msgExec    = "exec"    // monitor → init: spawn Process as ID (fds: stdin, stdout, stderr unless a terminal)
	msgSignal  = "signal"  // monitor → init: send Signal to process ID
	msgStarted = "started" // init → monitor: process ID runs as Pid (fd: the terminal master if any)
	msgExited  = "exited"  // init → monitor: process ID exited with Status
	msgError   = "error"   // init → monitor: process ID could not start
)

type message struct {
	Type    string      `json:"type"`
	ID      int         `json:"id,omitempty"`
	Config  *initConfig `json:"config,omitempty"`
	Process *Process    `json:"process,omitempty"`
	Pid     int         `json:"pid,omitempty"`
	Status  int         `json:"status,omitempty"`
	Signal  int         `json:"signal,omitempty"`
	Stdio   int         `json:"stdio,omitempty"` // exec: which of stdin (1), stdout (2), stderr (4) came as fds, in that order
	Error   string      `json:"error,omitempty"`
}

func sendMessage(fd int, m message, fds ...int) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	for {
		err = unix.Sendmsg(fd, data, oob, nil, 0)
		switch err {
		case unix.EINTR:
		case unix.EAGAIN: // a non-blocking socket (the init's) with a full buffer
			unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}, -1)
		default:
			return err
		}
	}
}

// recvMessage returns the next message and the descriptors that came with
// it, all close-on-exec. io.EOF-like end of stream is unix.ECONNRESET or a
// zero-length read, reported as errPeerGone.
func recvMessage(fd int) (message, []int, error) {
	size, err := nextPacketLen(fd)
	if err != nil {
		return message{}, nil, err
	}
	if size == 0 {
		return message{}, nil, errPeerGone
	}
	buf := make([]byte, size)
	oob := make([]byte, unix.CmsgSpace(4*8))
	var n, oobn int
	for {
		n, oobn, _, _, err = unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return message{}, nil, err
	}
	if n == 0 {
		return message{}, nil, errPeerGone
	}
	var fds []int
	if oobn > 0 {
		scms, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return message{}, nil, err
		}
		for _, scm := range scms {
			got, err := unix.ParseUnixRights(&scm)
			if err == nil {
				fds = append(fds, got...)
			}
		}
	}
	var m message
	if err := json.Unmarshal(buf[:n], &m); err != nil {
		closeAll(fds)
		return message{}, nil, fmt.Errorf("bad message: %w", err)
	}
	return m, fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// nextPacketLen returns the length of the next packet on the SOCK_SEQPACKET
// socket fd without taking it (MSG_PEEK), whole although no byte is asked for
// (MSG_TRUNC), or 0 once the peer is gone. Messages are received into buffers
// of exactly their size: most are small, and a buffer for the largest one
// (the init's configuration, exec's, up to a MiB) made each message pay for
// its allocation, its clearing and, where page faults are costly, tens of
// faults, against one more system call.
func nextPacketLen(fd int) (int, error) {
	for {
		n, _, err := unix.Recvfrom(fd, nil, unix.MSG_PEEK|unix.MSG_TRUNC)
		if err != unix.EINTR {
			return n, err
		}
	}
}
