package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"stack/runtime/image"
)

func init() {
	register("", "images", newImagesCommand)
}

type imagesOptions struct {
	global   *globalOptions
	services []string
	quiet    bool
	format   string
	out      io.Writer
}

func newImagesCommand(g *globalOptions) *cobra.Command {
	o := &imagesOptions{global: g}
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [SERVICE...]",
		Short: "List the images the project's containers use",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services, o.out = args, cmd.OutOrStdout()
			return runImages(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.quiet, "quiet", "q", false, "only image IDs")
	f.StringVar(&o.format, "format", "table", "output format: table or json")
	return cmd
}

// imageEntry is one line of images, with Compose's JSON fields.
type imageEntry struct {
	ContainerName string
	Repository    string
	Tag           string
	ID            string
	Size          int64
}

func runImages(ctx context.Context, o *imagesOptions) error {
	if err := checkListFormat(o.format); err != nil {
		return err
	}
	s, err := openProject(ctx, o.global, false)
	if err != nil {
		return err
	}
	cs, err := serviceContainers(s, o.services)
	if err != nil {
		return err
	}
	entries := []imageEntry{}
	for _, c := range cs {
		e := imageEntry{ContainerName: c.Name, ID: c.ImageID}
		canonical, err := image.Normalize(c.Image)
		if err != nil {
			canonical = c.Image
		}
		e.Repository, e.Tag = image.Familiar(canonical)
		if img, err := s.host.images.Get(c.ImageID); err == nil {
			e.Size = img.Size
		}
		entries = append(entries, e)
	}
	switch {
	case o.quiet:
		for _, e := range entries {
			fmt.Fprintln(o.out, e.ID)
		}
	case o.format == "json":
		return json.NewEncoder(o.out).Encode(entries)
	default:
		w := tabwriter.NewWriter(o.out, 0, 4, 3, ' ', 0)
		fmt.Fprintln(w, "CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE")
		for _, e := range entries {
			id := e.ID
			if len(id) > 19 {
				id = id[7:19]
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", e.ContainerName, e.Repository, e.Tag, id, humanSize(e.Size))
		}
		return w.Flush()
	}
	return nil
}

// humanSize is Docker's decimal size: "2.14MB".
func humanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}
