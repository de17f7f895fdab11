package planner

import (
	"fmt"
	"time"

	"stack/spec"
)

// Kind names the type of an action.
type Kind int

// Kinds of actions. Values are explicit so that inserting one does not
// shift the others.
const (
	KindCreateNetwork   Kind = 1
	KindRemoveNetwork   Kind = 2
	KindCreateVolume    Kind = 10
	KindRemoveVolume    Kind = 11
	KindPullImage       Kind = 20
	KindBuildImage      Kind = 21
	KindRemoveImage     Kind = 22
	KindCreateContainer Kind = 30
	KindStartContainer  Kind = 31
	KindStopContainer   Kind = 32
	KindRemoveContainer Kind = 33
	KindRenameContainer Kind = 34
	KindAwaitContainer  Kind = 35
)

func (k Kind) String() string {
	switch k {
	case KindCreateNetwork:
		return "create network"
	case KindRemoveNetwork:
		return "remove network"
	case KindCreateVolume:
		return "create volume"
	case KindRemoveVolume:
		return "remove volume"
	case KindPullImage:
		return "pull image"
	case KindBuildImage:
		return "build image"
	case KindRemoveImage:
		return "remove image"
	case KindCreateContainer:
		return "create container"
	case KindStartContainer:
		return "start container"
	case KindStopContainer:
		return "stop container"
	case KindRemoveContainer:
		return "remove container"
	case KindRenameContainer:
		return "rename container"
	case KindAwaitContainer:
		return "await container"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// An Action is one step of a plan. Each concrete type carries everything its
// executor needs, so that executing it involves no decision.
type Action interface {
	Kind() Kind
	// Subject names the object acted on, as the plan prints it.
	Subject() string
}

// CreateNetwork creates a project network. Key is its name in the stack
// file, Name its name on the host.
type CreateNetwork struct {
	Key, Name string
	Config    *spec.Network
	Labels    map[string]string
}

// RemoveNetwork removes a network.
type RemoveNetwork struct{ Name string }

// CreateVolume creates a named volume.
type CreateVolume struct {
	Key, Name string
	Config    *spec.Volume
	Labels    map[string]string
}

// RemoveVolume removes a named volume.
type RemoveVolume struct{ Name string }

// PullImage fetches Ref from its registry.
type PullImage struct{ Service, Ref string }

// BuildImage builds a service's image and tags it Ref.
type BuildImage struct {
	Service string
	Ref     string
	Config  *spec.Service
}

// RemoveImage removes the image tagged Ref.
type RemoveImage struct{ Ref string }

// CreateContainer creates (does not start) one replica of a service.
type CreateContainer struct {
	Service string
	Number  int
	Name    string
	Image   string // the reference to run
	Config  *spec.Service
	Labels  map[string]string
	// Inherit is the container this one replaces: its anonymous volumes
	// carry over. Nil for a new replica.
	Inherit *Container
	// StartName is the name a StartContainer of this plan starts the
	// container under (after its rename, for a recreate), so that the
	// executor may get the start ready while the container is made; empty
	// when the plan does not start it.
	StartName string
}

// StartContainer starts a created or stopped container.
type StartContainer struct{ Service, Name string }

// StopContainer stops a running container; Timeout nil means the service's
// stop_grace_period or the default.
type StopContainer struct {
	Container Container
	Timeout   *time.Duration
}

// RemoveContainer removes a stopped container, and its anonymous volumes
// when Volumes is set.
type RemoveContainer struct {
	Container Container
	Volumes   bool
}

// RenameContainer gives a replacement container its final name.
type RenameContainer struct{ From, To string }

// Condition is what a dependent service waits for.
type Condition string

// Conditions of depends_on.
const (
	ConditionStarted   Condition = "service_started"
	ConditionHealthy   Condition = "service_healthy"
	ConditionCompleted Condition = "service_completed_successfully"
)

// AwaitContainer waits until a container meets a depends_on condition. It
// fails with the reason when the container can no longer meet it (exited
// with a non-zero code, unhealthy, context done).
type AwaitContainer struct {
	Service   string
	Name      string
	Condition Condition
}

func (CreateNetwork) Kind() Kind   { return KindCreateNetwork }
func (RemoveNetwork) Kind() Kind   { return KindRemoveNetwork }
func (CreateVolume) Kind() Kind    { return KindCreateVolume }
func (RemoveVolume) Kind() Kind    { return KindRemoveVolume }
func (PullImage) Kind() Kind       { return KindPullImage }
func (BuildImage) Kind() Kind      { return KindBuildImage }
func (RemoveImage) Kind() Kind     { return KindRemoveImage }
func (CreateContainer) Kind() Kind { return KindCreateContainer }
func (StartContainer) Kind() Kind  { return KindStartContainer }
func (StopContainer) Kind() Kind   { return KindStopContainer }
func (RemoveContainer) Kind() Kind { return KindRemoveContainer }
func (RenameContainer) Kind() Kind { return KindRenameContainer }
func (AwaitContainer) Kind() Kind  { return KindAwaitContainer }

func (a CreateNetwork) Subject() string   { return a.Name }
func (a RemoveNetwork) Subject() string   { return a.Name }
func (a CreateVolume) Subject() string    { return a.Name }
func (a RemoveVolume) Subject() string    { return a.Name }
func (a PullImage) Subject() string       { return a.Ref }
func (a BuildImage) Subject() string      { return a.Ref }
func (a RemoveImage) Subject() string     { return a.Ref }
func (a CreateContainer) Subject() string { return a.Name }
func (a StartContainer) Subject() string  { return a.Name }
func (a StopContainer) Subject() string   { return a.Container.Name }
func (a RemoveContainer) Subject() string { return a.Container.Name }
func (a RenameContainer) Subject() string { return a.From + " -> " + a.To }
func (a AwaitContainer) Subject() string  { return a.Name + " " + string(a.Condition) }
