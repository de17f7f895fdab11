package planner

import (
	"strconv"
	"strings"
)

// Label keys. They are the ones Compose writes, so that tools which read
// Compose labels understand the containers, networks and volumes of stack.
const (
	LabelProject     = "com.docker.compose.project"
	LabelService     = "com.docker.compose.service"
	LabelNumber      = "com.docker.compose.container-number"
	LabelOneOff      = "com.docker.compose.oneoff"
	LabelConfigHash  = "com.docker.compose.config-hash"
	LabelImage       = "com.docker.compose.image"
	LabelWorkingDir  = "com.docker.compose.project.working_dir"
	LabelConfigFiles = "com.docker.compose.project.config_files"
	LabelVersion     = "com.docker.compose.version"
	LabelNetwork     = "com.docker.compose.network"
	LabelVolume      = "com.docker.compose.volume"
	LabelReplace     = "com.docker.compose.replace"
	LabelDependsOn   = "com.docker.compose.depends_on"

	// LabelConfigDigests is stack's own: a short digest per key of the
	// hashed configuration, so that a plan can say what changed ("environment
	// changed") and not only that something did.
	LabelConfigDigests = "io.stack.config-digests"
)

// Version is written in LabelVersion.
const Version = "2.40.0"

// ContainerFromLabels builds the planner's view of a container from what the
// runtime reports. Labels that are missing or malformed leave the zero value,
// so a container that was not made by stack is simply not part of a project.
func ContainerFromLabels(id, name string, state State, labels map[string]string) Container {
	c := Container{
		ID:         id,
		Name:       name,
		State:      state,
		Labels:     labels,
		Project:    labels[LabelProject],
		Service:    labels[LabelService],
		OneOff:     labels[LabelOneOff] == "True",
		ConfigHash: labels[LabelConfigHash],
		ImageID:    labels[LabelImage],
		Digests:    parseDigests(labels[LabelConfigDigests]),
	}
	if n, err := strconv.Atoi(labels[LabelNumber]); err == nil {
		c.Number = n
	}
	return c
}

// formatDigests writes key=digest pairs in sorted key order.
func formatDigests(d map[string]string) string {
	var b strings.Builder
	for i, k := range sortedKeys(d) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(d[k])
	}
	return b.String()
}

func parseDigests(s string) map[string]string {
	if s == "" {
		return nil
	}
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			out[k] = v
		}
	}
	return out
}
