package network

import (
	"errors"
	"fmt"
)

// Sentinel errors, checked with errors.Is.
var (
	ErrNotFound     = errors.New("no such network")
	ErrExists       = errors.New("network already exists")
	ErrInUse        = errors.New("network has active endpoints")
	ErrExhausted    = errors.New("no free address left")
	ErrAddrInUse    = errors.New("address already in use")
	ErrNoFreeSubnet = errors.New("no free subnet in the address pools")
	ErrNoNFTables   = errors.New("nf_tables is not available")
)

// PortInUseError says which host port could not be bound and, when the
// kernel tells, which process holds it.
type PortInUseError struct {
	Proto  string
	HostIP string
	Port   uint16
	Holder string // "pid 123 (redis-server)" or ""
	Err    error
}

func (e *PortInUseError) Error() string {
	host := e.HostIP
	if host == "" {
		host = "0.0.0.0"
	}
	msg := fmt.Sprintf("host port %s:%d/%s is already in use", host, e.Port, e.Proto)
	if e.Holder != "" {
		msg += " by " + e.Holder
	}
	return msg
}

func (e *PortInUseError) Unwrap() error { return e.Err }
