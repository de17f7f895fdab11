package container

import "errors"

var (
	// ErrNotFound means no container has the given name or ID (prefix).
	ErrNotFound = errors.New("no such container")
	// ErrAmbiguous means an ID prefix matches more than one container.
	ErrAmbiguous = errors.New("container ID prefix is ambiguous")
	// ErrNameInUse means another container already has the name.
	ErrNameInUse = errors.New("container name is already in use")
	// ErrNotRunning means the operation needs a running container.
	ErrNotRunning = errors.New("container is not running")
	// ErrRunning means the operation needs a stopped container.
	ErrRunning = errors.New("container is running")
	// ErrNoInit means the container runs without the init, which serves exec.
	ErrNoInit = errors.New("container runs without an init (--no-init); exec needs it")

	errPeerGone = errors.New("peer closed the connection")
)
