package httpapi

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/forewarn/forewarn"
)

// errUploadTooBig is a zip whose files, unpacked, exceed the upload limit.
var errUploadTooBig = errors.New("the unpacked upload is too large")

// spoolFile copies an uploaded stream to path.
func spoolFile(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ofacPart is one file of the OFAC SDN list as an upload carries it: its part name, its
// file name, and how many fields its rows have (the check that the parts are not swapped).
type ofacPart struct {
	name, file string
	fields     int
	required   bool
}

// ofacParts are the SDN list's files. Only sdn.csv is required, as on the command line:
// a list without aliases or addresses is still a list.
var ofacParts = []ofacPart{
	{name: "sdn", file: "sdn.csv", fields: 12, required: true},
	{name: "alt", file: "alt.csv", fields: 5},
	{name: "add", file: "add.csv", fields: 6},
}

func findOFACPart(name string) (ofacPart, bool) {
	name = strings.ToLower(name)
	for _, p := range ofacParts {
		if name == p.name || name == p.file {
			return p, true
		}
	}
	return ofacPart{}, false
}

// spoolOFAC writes the SDN list's files into dir, as the OFAC reader expects them, from a
// multipart/form-data upload (parts sdn, alt and add) or a zip holding sdn.csv, alt.csv and
// add.csv, and returns the path of sdn.csv. Multipart parts stream straight to disk; a zip
// is spooled first, since its directory is at its end. Errors name the part at fault.
func spoolOFAC(dir string, r *http.Request, body io.Reader, limit int64) (string, error) {
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	have := map[string]bool{}
	switch mediaType {
	case "multipart/form-data":
		if params["boundary"] == "" {
			return "", forewarn.Invalid("body", "multipart", "the multipart/form-data upload names no boundary")
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return "", err
			}
			name := part.FormName()
			if name == "" {
				name = part.FileName()
			}
			p, ok := findOFACPart(name)
			if !ok {
				part.Close()
				return "", forewarn.Invalid("body", "multipart", "unknown part %q: an OFAC upload has the parts sdn, alt and add (sdn.csv, alt.csv, add.csv)", name)
			}
			if have[p.name] {
				part.Close()
				return "", forewarn.Invalid(p.name, "unique", "the part %s (%s) is sent twice", p.name, p.file)
			}
			have[p.name] = true
			err = spoolFile(filepath.Join(dir, p.file), part)
			part.Close()
			if err != nil {
				return "", err
			}
		}
	case "application/zip", "application/x-zip-compressed":
		if err := unzipOFAC(dir, body, limit, have); err != nil {
			return "", err
		}
	default:
		return "", forewarn.Invalid("body", "content_type",
			"an OFAC import is three files: send multipart/form-data with the parts sdn, alt and add, or a zip (application/zip) holding sdn.csv, alt.csv and add.csv; got Content-Type %q", r.Header.Get("Content-Type"))
	}
	for _, p := range ofacParts {
		if !have[p.name] {
			if p.required {
				return "", forewarn.Invalid(p.name, "required", "the part %s (%s) is missing: it holds the list's entries", p.name, p.file)
			}
			continue
		}
		if err := checkOFACPart(filepath.Join(dir, p.file), p); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, "sdn.csv"), nil
}

// unzipOFAC spools the zip, then unpacks its sdn.csv, alt.csv and add.csv (in any folder
// of it) into dir, at most limit bytes in all; other files in it are ignored.
func unzipOFAC(dir string, body io.Reader, limit int64, have map[string]bool) error {
	zipPath := filepath.Join(dir, "upload.zip")
	if err := spoolFile(zipPath, body); err != nil {
		return err
	}
	defer os.Remove(zipPath)
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return forewarn.Invalid("body", "zip", "the upload is not a readable zip: %v", err)
	}
	defer zr.Close()
	left := limit
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() {
			continue
		}
		p, ok := findOFACPart(path.Base(zf.Name))
		if !ok || !strings.EqualFold(path.Base(zf.Name), p.file) {
			continue
		}
		if have[p.name] {
			return forewarn.Invalid(p.name, "unique", "the zip holds %s twice (%s)", p.file, zf.Name)
		}
		have[p.name] = true
		rc, err := zf.Open()
		if err != nil {
			return forewarn.Invalid(p.name, "zip", "%s in the zip cannot be read: %v", zf.Name, err)
		}
		f, err := os.OpenFile(filepath.Join(dir, p.file), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			rc.Close()
			return err
		}
		n, err := io.Copy(f, io.LimitReader(rc, left+1))
		rc.Close()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return forewarn.Invalid(p.name, "zip", "%s in the zip cannot be read: %v", zf.Name, err)
		}
		if left -= n; left < 0 {
			return errUploadTooBig
		}
	}
	return nil
}

// checkOFACPart reads the first row of a part and refuses it when it is empty or its
// rows have the wrong number of fields: most often two parts swapped.
func checkOFACPart(file string, p ofacPart) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	cr := csv.NewReader(bufio.NewReader(f))
	cr.FieldsPerRecord, cr.LazyQuotes = -1, true
	rec, err := cr.Read()
	if err == io.EOF {
		if p.required {
			return forewarn.Invalid(p.name, "required", "the part %s (%s) is empty", p.name, p.file)
		}
		return nil
	}
	if err != nil {
		return forewarn.Invalid(p.name, "csv", "the part %s (%s) is not CSV: %v", p.name, p.file, err)
	}
	if len(rec) != p.fields {
		guess := ""
		for _, o := range ofacParts {
			if o.fields == len(rec) {
				guess = fmt.Sprintf(" (is it %s?)", o.file)
			}
		}
		return forewarn.Invalid(p.name, "shape", "the part %s (%s) has %d fields in its first row; %s rows have %d%s", p.name, p.file, len(rec), p.file, p.fields, guess)
	}
	return nil
}
