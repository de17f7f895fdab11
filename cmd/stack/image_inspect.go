package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/template"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"stack/runtime/image"
)

func init() {
	register("image", "inspect", newImageInspectCommand)
}

type imageInspectOptions struct {
	global *globalOptions
	refs   []string
	format string
	out    io.Writer
}

func newImageInspectCommand(g *globalOptions) *cobra.Command {
	o := &imageInspectOptions{global: g}
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] IMAGE [IMAGE...]",
		Short: "Display detailed information on one or more images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.refs, o.out = args, cmd.OutOrStdout()
			return runImageInspect(cmd.Context(), o)
		},
	}
	shadowGlobalFlags(cmd.Flags(), "file")
	cmd.Flags().StringVarP(&o.format, "format", "f", "json", "json, or a Go template applied to each image ({{.Config.Cmd}})")
	return cmd
}

// imageDetails is the document docker image inspect prints.
type imageDetails struct {
	ID            string            `json:"Id"`
	RepoTags      []string          `json:"RepoTags"`
	RepoDigests   []string          `json:"RepoDigests"`
	Parent        string            `json:"Parent"`
	Comment       string            `json:"Comment"`
	Created       string            `json:"Created"`
	DockerVersion string            `json:"DockerVersion"`
	Author        string            `json:"Author"`
	Config        v1.Config         `json:"Config"`
	Architecture  string            `json:"Architecture"`
	Variant       string            `json:"Variant,omitempty"`
	Os            string            `json:"Os"`
	Size          int64             `json:"Size"`
	RootFS        imageRootFS       `json:"RootFS"`
	Metadata      map[string]string `json:"Metadata"`
	Descriptor    v1.Descriptor     `json:"Descriptor"`
}

type imageRootFS struct {
	Type   string   `json:"Type"`
	Layers []string `json:"Layers"`
}

func newImageDetails(img *image.Image) imageDetails {
	c := img.Config
	d := imageDetails{
		ID: img.ID.String(), RepoTags: imageTags(img), RepoDigests: imageRepoDigests(img),
		Created: img.Created.UTC().Format(time.RFC3339Nano), DockerVersion: c.DockerVersion, Author: c.Author,
		Config: c.Config, Architecture: c.Architecture, Variant: c.Variant, Os: c.OS, Size: img.Size,
		RootFS:     imageRootFS{Type: "layers", Layers: []string{}},
		Metadata:   map[string]string{},
		Descriptor: v1.Descriptor{MediaType: img.MediaType, Digest: img.ManifestDigest},
	}
	if d.RepoDigests == nil {
		d.RepoDigests = []string{}
	}
	if n := len(c.History); n > 0 {
		d.Comment = c.History[n-1].Comment
	}
	for _, diffID := range img.DiffIDs {
		d.RootFS.Layers = append(d.RootFS.Layers, diffID.String())
	}
	return d
}

func runImageInspect(_ context.Context, o *imageInspectOptions) error {
	store, err := openImageStore(o.global)
	if err != nil {
		return err
	}
	var tmpl *template.Template
	if o.format != "json" {
		if tmpl, err = template.New("format").Funcs(template.FuncMap{"json": jsonString}).Parse(o.format); err != nil {
			return fmt.Errorf("--format: %w", err)
		}
	}
	details := []imageDetails{}
	var errs []error
	for _, ref := range o.refs {
		img, err := store.Get(ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		details = append(details, newImageDetails(img))
	}
	if tmpl == nil {
		enc := json.NewEncoder(o.out)
		enc.SetIndent("", "    ")
		if err := enc.Encode(details); err != nil {
			return err
		}
		return errors.Join(errs...)
	}
	for _, d := range details {
		if err := tmpl.Execute(o.out, d); err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		fmt.Fprintln(o.out)
	}
	return errors.Join(errs...)
}

func jsonString(v any) (string, error) {
	data, err := json.Marshal(v)
	return string(data), err
}
