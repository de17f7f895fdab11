package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"stack/spec"
)

// ImageRef is the image a service runs: its image key, or for a service
// that only builds, "<project>-<service>" as Compose names it.
func ImageRef(project *spec.Project, service *spec.Service) string {
	if service.Image != "" {
		return service.Image
	}
	return project.Name + "-" + service.Name
}

// ConfigHash is the config hash of a service as stack labels its containers
// (and as `stack config --hash` should print it): a SHA-256 over the
// service's canonical form (spec.CanonicalJSON, which leaves out what
// Compose leaves out), the ID of its image, the definitions of its networks
// and volumes, and the contents of its env_file, config and secret files.
// imageID and files come from the host (Observed.Images and
// Observed.Files); pass what is known.
func ConfigHash(project *spec.Project, service *spec.Service, imageID string, files map[string]string) (string, error) {
	hash, _, err := serviceHash(project, service, imageID, files)
	return hash, err
}

// serviceHash returns the config hash and a short digest per hashed key, from
// which a plan tells what changed.
func serviceHash(project *spec.Project, service *spec.Service, imageID string, files map[string]string) (string, map[string]string, error) {
	raw, err := spec.CanonicalJSON(service)
	if err != nil {
		return "", nil, fmt.Errorf("service %q: hash: %w", service.Name, err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		return "", nil, fmt.Errorf("service %q: hash: %w", service.Name, err)
	}
	if deploy, ok := fields["deploy"].(map[string]any); ok && len(deploy) == 0 {
		delete(fields, "deploy")
	}
	if imageID != "" {
		fields["image_id"] = imageID
	}
	if nets := serviceNetworkDefs(project, service); len(nets) > 0 {
		fields["network_definitions"] = nets
	}
	if vols := serviceVolumeDefs(project, service); len(vols) > 0 {
		fields["volume_definitions"] = vols
	}
	if contents := serviceFileDigests(project, service, files); len(contents) > 0 {
		fields["file_contents"] = contents
	}
	digests := make(map[string]string, len(fields))
	for k, v := range fields {
		digests[k] = digestJSON(v)[:8]
	}
	return digestJSON(fields), digests, nil
}

// digestJSON hashes the JSON form of v; encoding/json sorts map keys, so
// equal values give equal digests.
func digestJSON(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		// Only values decoded from JSON reach here, and they re-encode.
		panic(err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// serviceNetworkDefs are the definitions of the networks a service joins,
// by key, so that changing a network's definition recreates its users.
func serviceNetworkDefs(project *spec.Project, service *spec.Service) map[string]any {
	out := map[string]any{}
	for _, key := range serviceNetworkKeys(service) {
		if def := project.Networks[key]; def != nil {
			out[key] = def
		} else {
			out[key] = struct{}{}
		}
	}
	return out
}

func serviceVolumeDefs(project *spec.Project, service *spec.Service) map[string]any {
	out := map[string]any{}
	for _, v := range service.Volumes {
		if v.Type != spec.VolumeTypeVolume || v.Source == "" {
			continue
		}
		if def := project.Volumes[v.Source]; def != nil {
			out[v.Source] = def
		}
	}
	return out
}

// serviceFileDigests are the digests of the files a service reads: env
// files, and the files behind its configs and secrets. A file the observer
// could not read hashes as "missing".
func serviceFileDigests(project *spec.Project, service *spec.Service, files map[string]string) map[string]string {
	out := map[string]string{}
	for _, path := range ServiceFiles(project, service) {
		if d, ok := files[path]; ok {
			out[path] = d
		} else {
			out[path] = "missing"
		}
	}
	return out
}

// ServiceFiles lists the host files whose contents belong to a service's
// configuration, for the observer to digest into Observed.Files.
func ServiceFiles(project *spec.Project, service *spec.Service) []string {
	var out []string
	for _, e := range service.EnvFiles {
		out = append(out, e.Path)
	}
	for _, ref := range service.Configs {
		if c := project.Configs[ref.Source]; c != nil && c.File != "" {
			out = append(out, c.File)
		}
	}
	for _, ref := range service.Secrets {
		if s := project.Secrets[ref.Source]; s != nil && s.File != "" {
			out = append(out, s.File)
		}
	}
	return out
}

// serviceNetworkKeys are the keys of the networks a service joins, sorted;
// none when network_mode puts it elsewhere.
func serviceNetworkKeys(service *spec.Service) []string {
	if service.NetworkMode != "" && service.NetworkMode != "bridge" {
		return nil
	}
	if len(service.Networks) == 0 {
		return []string{"default"}
	}
	return sortedKeys(service.Networks)
}
