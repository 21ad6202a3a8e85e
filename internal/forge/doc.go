// Package forge proposes changes as pull (merge) requests on GitHub
// (and GitHub Enterprise Server), GitLab, and Gitea or Forgejo, through the
// forges' own Go clients (go-github, GitLab's client-go, the Gitea SDK).
//
// A Provider finds, opens and closes requests and deletes head branches for
// one repository; New builds one from the repository URL, an optional API
// base URL override and a token. API base URLs are derived as Argo CD Image
// Updater derives them: github.com -> https://api.github.com, any other
// GitHub host -> scheme://host/api/v3, GitLab and Gitea -> scheme://host
// (nested GitLab groups stay in the project path). Errors are *Error values
// carrying the provider, the operation and the HTTP status; they never
// contain the token.
package forge
