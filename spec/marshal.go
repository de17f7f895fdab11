package spec

import (
	"bytes"
	"encoding/json"
	"sort"
)

// The model carries x-* fields in Extensions; YAML inlines them through the
// struct tag, JSON through these methods, so that both outputs put them
// where the file had them.

func marshalWithExtensions(v any, ext Extensions) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(ext) == 0 {
		return b, err
	}
	keys := make([]string, 0, len(ext))
	for k := range ext {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1])
	for i, k := range keys {
		if i > 0 || len(b) > 2 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(ext[k])
		if err != nil {
			return nil, err
		}
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func (p Project) MarshalJSON() ([]byte, error) {
	type plain Project
	return marshalWithExtensions(plain(p), p.Extensions)
}

func (s Service) MarshalJSON() ([]byte, error) {
	type plain Service
	return marshalWithExtensions(plain(s), s.Extensions)
}

func (n Network) MarshalJSON() ([]byte, error) {
	type plain Network
	return marshalWithExtensions(plain(n), n.Extensions)
}

func (i IPAM) MarshalJSON() ([]byte, error) {
	type plain IPAM
	return marshalWithExtensions(plain(i), i.Extensions)
}

func (i IPAMPool) MarshalJSON() ([]byte, error) {
	type plain IPAMPool
	return marshalWithExtensions(plain(i), i.Extensions)
}

func (v Volume) MarshalJSON() ([]byte, error) {
	type plain Volume
	return marshalWithExtensions(plain(v), v.Extensions)
}

func (s Secret) MarshalJSON() ([]byte, error) {
	type plain Secret
	return marshalWithExtensions(plain(s), s.Extensions)
}

func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return marshalWithExtensions(plain(c), c.Extensions)
}

func (m Model) MarshalJSON() ([]byte, error) {
	type plain Model
	return marshalWithExtensions(plain(m), m.Extensions)
}

func (b BuildConfig) MarshalJSON() ([]byte, error) {
	type plain BuildConfig
	return marshalWithExtensions(plain(b), b.Extensions)
}

func (p ServicePort) MarshalJSON() ([]byte, error) {
	type plain ServicePort
	return marshalWithExtensions(plain(p), p.Extensions)
}

func (v ServiceVolume) MarshalJSON() ([]byte, error) {
	type plain ServiceVolume
	return marshalWithExtensions(plain(v), v.Extensions)
}

func (n ServiceNetwork) MarshalJSON() ([]byte, error) {
	type plain ServiceNetwork
	return marshalWithExtensions(plain(n), n.Extensions)
}

func (d DependsOn) MarshalJSON() ([]byte, error) {
	type plain DependsOn
	return marshalWithExtensions(plain(d), d.Extensions)
}

func (h Healthcheck) MarshalJSON() ([]byte, error) {
	type plain Healthcheck
	return marshalWithExtensions(plain(h), h.Extensions)
}

func (d Deploy) MarshalJSON() ([]byte, error) {
	type plain Deploy
	return marshalWithExtensions(plain(d), d.Extensions)
}

func (r Resource) MarshalJSON() ([]byte, error) {
	type plain Resource
	return marshalWithExtensions(plain(r), r.Extensions)
}

func (r ServiceFileRef) MarshalJSON() ([]byte, error) {
	type plain ServiceFileRef
	return marshalWithExtensions(plain(r), r.Extensions)
}

func (h ServiceHook) MarshalJSON() ([]byte, error) {
	type plain ServiceHook
	return marshalWithExtensions(plain(h), h.Extensions)
}
