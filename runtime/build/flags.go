package build

import (
	"fmt"
	"strings"

	"stack/runtime/build/dockerfile"
)

// flagSet holds an instruction's --name=value flags.
type flagSet map[string]string

// parseFlags checks the instruction's flags against the names it accepts.
// A flag given without a value is "true".
func parseFlags(ins *dockerfile.Instruction, accepted ...string) (flagSet, error) {
	out := flagSet{}
	for _, f := range ins.Flags {
		name, value, ok := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if !ok {
			value = "true"
		}
		known := false
		for _, a := range accepted {
			known = known || a == name
		}
		if !known {
			return nil, fmt.Errorf("unknown flag %s for %s: expected one of --%s", f, strings.ToUpper(ins.Command), strings.Join(accepted, ", --"))
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("flag --%s given twice", name)
		}
		out[name] = value
	}
	return out, nil
}
