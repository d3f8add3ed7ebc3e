package desired

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/landlord/landlord/internal/testenv"
)

// schemaDir holds the JSON Schemas of the manifests, for editors and CI.
var schemaDir = filepath.Join(testenv.ExampleDir(), "..", "..", "docs", "schema")

// manifestKinds maps each JSON Schema to the Go type its manifest decodes
// into.
var manifestKinds = map[string]reflect.Type{
	"landlord.schema.json": reflect.TypeOf(Config{}),
	"tenant.schema.json":   reflect.TypeOf(tenantManifest{}),
	"template.schema.json": reflect.TypeOf(Template{}),
	"module.schema.json":   reflect.TypeOf(Module{}),
}

func compileSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	out := map[string]*jsonschema.Schema{}
	for name := range manifestKinds {
		s, err := c.Compile(filepath.Join(schemaDir, name))
		if err != nil {
			t.Fatalf("compile %s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

func readYAML(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

var schemaLine = regexp.MustCompile(`(?m)^# yaml-language-server: \$schema=(\S+)$`)

// TestExamplesMatchSchemas: every manifest of the example names its schema
// in a yaml-language-server line whose path resolves, and validates.
func TestExamplesMatchSchemas(t *testing.T) {
	schemas := compileSchemas(t)
	root := testenv.ExampleDir()
	var manifests []string
	for _, pattern := range []string{"landlord.yaml", "tenants/*.yaml", "layers/templates/*/template.yaml", "layers/modules/*/module.yaml"} {
		m, _ := filepath.Glob(filepath.Join(root, pattern))
		manifests = append(manifests, m...)
	}
	if len(manifests) < 9 {
		t.Fatalf("found %d example manifests", len(manifests))
	}
	for _, path := range manifests {
		rel, _ := filepath.Rel(root, path)
		data, _ := os.ReadFile(path)
		m := schemaLine.FindSubmatch(data)
		if m == nil {
			t.Errorf("%s: no yaml-language-server $schema line", rel)
			continue
		}
		target := filepath.Clean(filepath.Join(filepath.Dir(path), string(m[1])))
		if _, err := os.Stat(target); err != nil {
			t.Errorf("%s: $schema=%s does not resolve: %v", rel, m[1], err)
			continue
		}
		s := schemas[filepath.Base(target)]
		if s == nil {
			t.Errorf("%s: $schema=%s is no manifest schema", rel, m[1])
			continue
		}
		if err := s.Validate(readYAML(t, path)); err != nil {
			t.Errorf("%s: %v", rel, err)
		}
	}
}

// TestSchemasRejectWhatLoadRejects: the schemas are strict where Load is.
func TestSchemasRejectWhatLoadRejects(t *testing.T) {
	schemas := compileSchemas(t)
	for _, tc := range []struct{ schema, doc string }{
		{"tenant.schema.json", "slug: a-b\ntemplate: t\ncolour: red\n"},
		{"tenant.schema.json", "slug: Bad\ntemplate: t\n"},
		{"tenant.schema.json", "slug: a-b\ntemplate: t\nlifecycle: paused\n"},
		{"tenant.schema.json", "slug: a-b\ntemplate: t\nmodules: [x, x]\n"},
		{"tenant.schema.json", "slug: a-b\ntemplate: t\nenvironment: dev\n"},
		{"landlord.schema.json", "servers: {primary: {url: 'postgres://h/'}}\n"},
		{"landlord.schema.json", "servers: {primary: {url: 'sqlite://d', engine: oracle}}\n"},
		{"landlord.schema.json", "servers: {primary: {url: 'sqlite://d'}}\npolicy: {drift: ignore}\n"},
		{"module.schema.json", "requires: election\n"},
		{"template.schema.json", "active: yes please\n"},
	} {
		s := schemas[tc.schema]
		if s == nil {
			t.Fatalf("no schema %s", tc.schema)
		}
		var v any
		if err := yaml.Unmarshal([]byte(tc.doc), &v); err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(v); err == nil {
			t.Errorf("%s accepts %q", tc.schema, tc.doc)
		}
	}
}

// TestSchemasFollowStructs: each schema's properties are exactly the yaml
// fields of the Go type the manifest decodes into, at every level, so a
// field added to a struct must be added to its schema too.
func TestSchemasFollowStructs(t *testing.T) {
	for name, typ := range manifestKinds {
		var doc map[string]any
		raw, err := os.ReadFile(filepath.Join(schemaDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		compareFields(t, name, doc, doc, typ)
	}
}

func compareFields(t *testing.T, path string, root, node map[string]any, typ reflect.Type) {
	t.Helper()
	node = resolveRef(root, node)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.Struct:
		props, _ := node["properties"].(map[string]any)
		fields := yamlFields(typ)
		got := slices.Sorted(maps.Keys(props))
		want := slices.Sorted(maps.Keys(fields))
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("%s: schema properties differ from the struct's yaml fields (-schema +struct):\n%s", path, diff)
			return
		}
		if node["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties must be false, as Load rejects unknown fields", path)
		}
		for _, f := range want {
			sub, _ := props[f].(map[string]any)
			compareFields(t, path+"."+f, root, sub, fields[f])
		}
	case reflect.Map:
		sub, _ := node["additionalProperties"].(map[string]any)
		compareFields(t, path+".*", root, sub, typ.Elem())
	}
}

// resolveRef follows a local $ref.
func resolveRef(root, node map[string]any) map[string]any {
	ref, ok := node["$ref"].(string)
	if !ok {
		return node
	}
	cur := root
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		cur, _ = cur[part].(map[string]any)
	}
	return cur
}

// TestDemoFilesMatchSchema: every demo.yaml of the example names
// demo.schema.json and validates against it.
func TestDemoFilesMatchSchema(t *testing.T) {
	s, err := jsonschema.NewCompiler().Compile(filepath.Join(schemaDir, "demo.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	root := testenv.ExampleDir()
	var files []string
	for _, pattern := range []string{"layers/basic/demo.yaml", "layers/*/*/demo.yaml"} {
		m, _ := filepath.Glob(filepath.Join(root, pattern))
		files = append(files, m...)
	}
	if len(files) < 6 {
		t.Fatalf("found %d demo files in the example", len(files))
	}
	for _, path := range files {
		rel, _ := filepath.Rel(root, path)
		data, _ := os.ReadFile(path)
		m := schemaLine.FindSubmatch(data)
		if m == nil || filepath.Base(string(m[1])) != "demo.schema.json" {
			t.Errorf("%s: no yaml-language-server $schema line naming demo.schema.json", rel)
			continue
		}
		if _, err := os.Stat(filepath.Clean(filepath.Join(filepath.Dir(path), string(m[1])))); err != nil {
			t.Errorf("%s: $schema=%s does not resolve: %v", rel, m[1], err)
		}
		if err := s.Validate(readYAML(t, path)); err != nil {
			t.Errorf("%s: %v", rel, err)
		}
	}
	var bad any
	yaml.Unmarshal([]byte("members:\n  count: 3\n"), &bad)
	if s.Validate(bad) == nil {
		t.Error("demo.schema.json accepts an unknown key")
	}
}
