package build

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrNoRunner means the Dockerfile has a RUN step and the builder was
	// given no Runner.
	ErrNoRunner = errors.New("RUN needs a container runner")
	// ErrTarget means --target names no stage.
	ErrTarget = errors.New("target stage not found")
	// ErrNotInContext means a COPY or ADD source is missing from the
	// context or excluded by .dockerignore.
	ErrNotInContext = errors.New("file not found in build context or excluded by .dockerignore")
)

// StepError is a failed instruction, with its place in the Dockerfile.
type StepError struct {
	Step        int
	Line        int
	Instruction string // as written
	Err         error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("step %d (Dockerfile:%d) %s: %v", e.Step, e.Line, e.Instruction, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// RunError is a RUN command that exited with a non-zero status.
type RunError struct {
	Command  []string
	ExitCode int
	Output   []string // the last lines it printed
}

func (e *RunError) Error() string {
	msg := fmt.Sprintf("the command '%s' returned a non-zero code: %d", strings.Join(e.Command, " "), e.ExitCode)
	if len(e.Output) > 0 {
		msg += "; last output:\n  " + strings.Join(e.Output, "\n  ")
	}
	return msg
}
