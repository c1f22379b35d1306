package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

func runUser(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "user", args, []subcommand{{"add", runUserAdd}, {"set", runUserSet}})
}

func runUserAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("user add", "Creates a user with one or more roles and prints a one-time password.",
		"forewarn user add --data DIR --username jdupont --name 'Jeanne Dupont' --role liaison --role analyst")
	nf := addNodeFlags(fs)
	username := fs.String("username", "", "login name (required)")
	name := fs.String("name", "", "display name")
	var roles stringList
	fs.Var(&roles, "role", "analyst, liaison, supervisor, oversight or admin (repeatable) (required)")
	addr := fs.String("email", "", "where the node e-mails the user's notifications")
	lang := fs.String("language", "", "the language of the user's web pages: "+strings.Join(forewarn.Languages, " or ")+" (default: the node's, then the browser's)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if !forewarn.ValidLanguage(*lang) {
		return fmt.Errorf("--language %q: one of %s", *lang, strings.Join(forewarn.Languages, ", "))
	}
	if *addr != "" {
		if err := forewarn.ValidateEmail("email", *addr); err != nil {
			return fmt.Errorf("--email: %w", err)
		}
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	u := &forewarn.User{Username: *username, DisplayName: *name, MustChangePassword: true, Language: *lang}
	for _, r := range roles {
		u.Roles = append(u.Roles, forewarn.Role(r))
	}
	password := app.NewPassword()
	if u.PasswordHash, err = app.HashPassword(password); err != nil {
		return err
	}
	if err := node.Store.CreateUser(ctx, nf.actor(), u); err != nil {
		return err
	}
	if *addr != "" {
		if err := node.Store.SetNotificationSettings(ctx, nf.actor(), &forewarn.NotificationSettings{Username: u.Username, Email: *addr}); err != nil {
			return err
		}
	}
	fmt.Fprintf(m.Stdout, "Created user %s (%s), one-time password: %s\n", u.Username, strings.Join(roles, ", "), password)
	return nil
}

func runUserSet(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("user set", "Changes a user's settings: the language of their web pages.",
		"forewarn user set --data DIR --username jdupont --language fr")
	nf := addNodeFlags(fs)
	username := fs.String("username", "", "the user to change (required)")
	lang := fs.String("language", "", "the language of the user's web pages: "+strings.Join(forewarn.Languages, " or ")+", or 'default' for the node's, then the browser's (required)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if *lang == "default" {
		*lang = ""
	} else if *lang == "" || !forewarn.ValidLanguage(*lang) {
		return fmt.Errorf("--language %q: one of %s, or default", *lang, strings.Join(forewarn.Languages, ", "))
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	u, err := node.Store.UserByUsername(ctx, *username)
	if err != nil {
		return err
	}
	u.Language = *lang
	if err := node.Store.UpdateUser(ctx, nf.actor(), u); err != nil {
		return err
	}
	shown := u.Language
	if shown == "" {
		shown = "the node's language (serve --language), else their browser's"
	}
	fmt.Fprintf(m.Stdout, "User %s now reads the pages in %s.\n", u.Username, shown)
	return nil
}

func runToken(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "token", args, []subcommand{{"create", runTokenCreate}})
}

func runTokenCreate(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("token create", "Creates an API token for a user, scoped to one of the user's roles, and prints it once.\nPrograms and the CLI send it as 'Authorization: Bearer TOKEN' (or FOREWARN_TOKEN).",
		"forewarn token create --data DIR --username admin --role admin --name 'peer setup script'")
	nf := addNodeFlags(fs)
	username := fs.String("username", "", "the user the token acts for (required)")
	role := fs.String("role", "", "the one role the token carries; the user must hold it (required)")
	name := fs.String("name", "cli", "what the token is for")
	days := fs.Int("days", int(forewarn.DefaultTokenTTL.Hours()/24), "how many days the token lasts (1 to 366)")
	program := fs.Bool("program", false, "the token is for another program, not a person's CLI: the API gives it nothing marked TLP:RED")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	ttl, err := app.TokenDays(*days)
	if err != nil || *days == 0 {
		return fmt.Errorf("--days %d: a token lasts 1 to %d days", *days, int(forewarn.MaxTokenTTL.Hours()/24))
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	newToken := app.NewTokenFor
	if *program {
		newToken = app.NewProgramToken
	}
	secret, tok, err := newToken(ctx, node, nf.actor(), *username, forewarn.Role(*role), *name, ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Created token %s for %s as %s, until %s. It is shown once:\n%s\n", tok.ID, tok.Username, tok.Role, tok.ExpiresAt.Format("2006-01-02"), secret)
	return nil
}
