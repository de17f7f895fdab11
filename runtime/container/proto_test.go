package container

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// seqpacketPair returns a connected pair and a function that closes the
// first end once; the test's end closes both.
func seqpacketPair(t *testing.T) (a, b int, closeA func()) {
	t.Helper()
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeA = sync.OnceFunc(func() { unix.Close(pair[0]) })
	t.Cleanup(func() { closeA(); unix.Close(pair[1]) })
	return pair[0], pair[1], closeA
}

// TestMessagesOfAnySize sends messages around and well beyond the sizes the
// receivers used to reserve (64 KiB, 1 MiB), with and without descriptors:
// each arrives whole, in order, with its descriptors.
func TestMessagesOfAnySize(t *testing.T) {
	a, b, closeA := seqpacketPair(t)
	unix.SetsockoptInt(a, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
	f, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, size := range []int{1, 100, 64 << 10, 200 << 10, 1<<20 + 7} {
		sent := message{Type: msgError, ID: size, Error: strings.Repeat("x", size)}
		done := make(chan error, 1)
		go func() { done <- sendMessage(a, sent, int(f.Fd())) }()
		got, fds, err := recvMessage(b)
		if err := <-done; err != nil {
			t.Fatalf("send %d bytes: %v", size, err)
		}
		if err != nil {
			t.Fatalf("receive %d bytes: %v", size, err)
		}
		if got.ID != size || got.Error != sent.Error {
			t.Errorf("message of %d bytes arrived as ID %d with %d bytes", size, got.ID, len(got.Error))
		}
		if len(fds) != 1 {
			t.Errorf("message of %d bytes came with %d descriptors, want 1", size, len(fds))
		}
		closeAll(fds)
	}
	closeA()
	if _, _, err := recvMessage(b); !errors.Is(err, errPeerGone) {
		t.Errorf("receive after the peer closed: %v, want errPeerGone", err)
	}
}

// TestControlPacketsOfAnySize does the same over the control socket's
// connection type, which waits in the runtime's poller.
func TestControlPacketsOfAnySize(t *testing.T) {
	a, b, closeA := seqpacketPair(t)
	unix.SetsockoptInt(a, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
	d, err := unix.Dup(b)
	if err != nil {
		t.Fatal(err)
	}
	fb := os.NewFile(uintptr(d), "b")
	c, err := net.FileConn(fb)
	fb.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conn := c.(*net.UnixConn)
	for _, size := range []int{10, 256 << 10, 600 << 10} {
		sent := controlReply{Error: strings.Repeat("y", size)}
		done := make(chan error, 1)
		go func() {
			data, err := json.Marshal(sent)
			if err == nil {
				_, err = unix.Write(a, data)
			}
			done <- err
		}()
		var got controlReply
		if _, err := readPacket(conn, &got); err != nil {
			t.Fatalf("read %d bytes: %v", size, err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got.Error != sent.Error {
			t.Errorf("packet of %d bytes arrived with %d", size, len(got.Error))
		}
	}
	closeA()
	if _, err := readPacket(conn, new(controlReply)); !errors.Is(err, errPeerGone) {
		t.Errorf("read after the peer closed: %v, want errPeerGone", err)
	}
}
