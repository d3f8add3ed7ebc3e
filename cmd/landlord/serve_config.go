package main

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/serve/notify"
)

// envName is the environment variable of a flag: LANDLORD_ and the flag's
// name in capitals with _ for -.
func envName(flag string) string {
	return "LANDLORD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// bindServe fills serve's flags not given on the command line from the
// environment, then from the --config file, whose notifications it reads
// too (bindSettings).
func bindServe(cmd *cobra.Command, f *serveFlags) error {
	return bindSettings(cmd, f.config, map[string]func(file string, n *yaml.Node) error{
		"notifications": func(file string, n *yaml.Node) (err error) {
			f.webhooks, err = configWebhooks(file, n)
			return err
		},
	})
}

// bindSettings is how every command is configured: a flag given on the
// command line wins; else the environment, LANDLORD_<FLAG> (lists
// comma-separated); else the key of the same name in the config file
// (--config, env LANDLORD_CONFIG), where ${VAR} is expanded. A config file
// can be shared by commands: a key that is a flag of another command is
// left alone, any other key is an error at its line. extra reads keys that
// are not flags (serve's notifications). Settings bound, a --state left at
// its default is checked (checkDefaultState).
func bindSettings(cmd *cobra.Command, config string, extra map[string]func(file string, n *yaml.Node) error) error {
	fl := cmd.Flags()
	fromEnv := map[string]bool{}
	var err error
	fl.VisitAll(func(p *pflag.Flag) {
		v, ok := os.LookupEnv(envName(p.Name))
		if err != nil || p.Changed || !ok || v == "" || p.Name == "help" || p.Name == "version" {
			return
		}
		fromEnv[p.Name] = true
		if serr := setFlag(fl, p, splitList(p, v)); serr != nil {
			err = fmt.Errorf("%s: %s", envName(p.Name), redact.Text(serr.Error()))
		}
	})
	if err != nil {
		return err
	}
	if config != "" {
		if err := loadConfig(cmd, config, fromEnv, extra); err != nil {
			return err
		}
	}
	return checkDefaultState(fl)
}

// flagNames returns the names of every flag of every landlord command.
func flagNames(root *cobra.Command) map[string]bool {
	names := map[string]bool{}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(p *pflag.Flag) { names[p.Name] = true })
		c.PersistentFlags().VisitAll(func(p *pflag.Flag) { names[p.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return names
}

// splitList splits a list flag's value from the environment on commas.
func splitList(p *pflag.Flag, v string) []string {
	if _, ok := p.Value.(pflag.SliceValue); ok {
		var out []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return []string{v}
}

func setFlag(fl *pflag.FlagSet, p *pflag.Flag, values []string) error {
	if sv, ok := p.Value.(pflag.SliceValue); ok {
		if err := sv.Replace(values); err != nil {
			return err
		}
		p.Changed = true
		return nil
	}
	if len(values) != 1 {
		return fmt.Errorf("want one value, got %d", len(values))
	}
	return fl.Set(p.Name, values[0])
}

// configEnv matches ${VAR} in the config file's values.
var configEnv = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces ${VAR} in a value of the config file; an unset variable
// is an error.
func expand(file string, n *yaml.Node) (string, error) {
	var missing []string
	out := configEnv.ReplaceAllStringFunc(n.Value, func(m string) string {
		name := configEnv.FindStringSubmatch(m)[1]
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%s:%d: environment variable %s is not set", file, n.Line, strings.Join(missing, ", "))
	}
	return out, nil
}

// loadConfig reads the --config file: a YAML mapping whose keys are flag
// names (lists for repeatable flags), plus those extra reads. Its values
// fill the flags set neither on the command line nor in the environment.
func loadConfig(cmd *cobra.Command, file string, fromEnv map[string]bool, extra map[string]func(file string, n *yaml.Node) error) error {
	fl := cmd.Flags()
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return desired.YAMLError(file, data, err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: want a mapping of settings", file, root.Line)
	}
	known := flagNames(cmd.Root())
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		if read, ok := extra[key.Value]; ok {
			if err := read(file, val); err != nil {
				return err
			}
			continue
		}
		if fl.Lookup(key.Value) == nil && known[key.Value] && key.Value != "config" {
			continue // another command's setting, in a shared file
		}
		p := fl.Lookup(key.Value)
		if p == nil || key.Value == "config" {
			return fmt.Errorf("%s:%d: unknown setting %q (settings are the commands' flag names%s)", file, key.Line, key.Value, extraKeys(extra))
		}
		var values []string
		switch val.Kind {
		case yaml.ScalarNode:
			values = []string{val.Value}
			if _, list := p.Value.(pflag.SliceValue); list {
				values = splitList(p, val.Value)
			}
		case yaml.SequenceNode:
			for _, item := range val.Content {
				values = append(values, item.Value)
			}
		default:
			return fmt.Errorf("%s:%d: %s: want a value or a list", file, val.Line, key.Value)
		}
		for j, v := range values {
			n := *val
			n.Value = v
			if values[j], err = expand(file, &n); err != nil {
				return err
			}
		}
		if p.Changed || fromEnv[p.Name] {
			continue
		}
		if err := setFlag(fl, p, values); err != nil {
			return fmt.Errorf("%s:%d: %s: %s", file, val.Line, key.Value, redact.Text(err.Error()))
		}
	}
	return nil
}

func extraKeys(extra map[string]func(string, *yaml.Node) error) string {
	var out string
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		out += ", and " + k
	}
	return out
}

// webhookConfig is one entry of the config file's notifications.
type webhookConfig struct {
	Name       string   `yaml:"name"`
	URL        string   `yaml:"url"`
	Secret     string   `yaml:"secret"`
	SecretFile string   `yaml:"secretFile"`
	Events     []string `yaml:"events"`
	Format     string   `yaml:"format"`
}

func configWebhooks(file string, n *yaml.Node) ([]notify.Webhook, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: notifications: want a list of webhooks", file, n.Line)
	}
	var out []notify.Webhook
	for i, item := range n.Content {
		var c webhookConfig
		if err := item.Decode(&c); err != nil {
			return nil, fmt.Errorf("%s:%d: notifications[%d]: %w", file, item.Line, i, err)
		}
		// Strict: an unknown key is a typo, not something to ignore.
		for j := 0; j+1 < len(item.Content); j += 2 {
			if k := item.Content[j]; !slices.Contains([]string{"name", "url", "secret", "secretFile", "events", "format"}, k.Value) {
				return nil, fmt.Errorf("%s:%d: notifications[%d]: unknown field %q", file, k.Line, i, k.Value)
			}
		}
		where := fmt.Sprintf("%s:%d: notifications[%d]", file, item.Line, i)
		var err error
		if c.URL, err = expand(file, &yaml.Node{Value: c.URL, Line: item.Line}); err != nil {
			return nil, err
		}
		if err := checkWebhookURL(c.URL); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if c.Secret, err = expand(file, &yaml.Node{Value: c.Secret, Line: item.Line}); err != nil {
			return nil, err
		}
		if c.SecretFile != "" {
			data, err := os.ReadFile(c.SecretFile)
			if err != nil {
				return nil, fmt.Errorf("%s: secretFile: %w", where, err)
			}
			c.Secret = strings.TrimRight(string(data), "\r\n")
		}
		for _, e := range c.Events {
			if !slices.Contains(notify.Types, e) {
				return nil, fmt.Errorf("%s: unknown event %q, want one of %s", where, e, strings.Join(notify.Types, ", "))
			}
		}
		switch c.Format {
		case "", notify.FormatLandlord, notify.FormatSlack:
		default:
			return nil, fmt.Errorf("%s: format %q: want landlord or slack", where, c.Format)
		}
		if c.Name == "" {
			c.Name = fmt.Sprintf("webhook-%d", i+1)
		}
		out = append(out, notify.Webhook{Name: c.Name, URL: c.URL, Secret: redact.Secret(c.Secret), Events: c.Events, Format: c.Format})
	}
	return out, nil
}
