package infra

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SSHDBinary is where Debian's openssh-server installs the daemon.
const SSHDBinary = "/usr/sbin/sshd"

// SSHServer is a running OpenSSH server on 127.0.0.1 accepting one
// generated client key for the current user.
type SSHServer struct {
	// Addr is "127.0.0.1:PORT".
	Addr string
	// Port is the listening port.
	Port int
	// User is the login name (the current user).
	User string
	// ClientKey is the unencrypted OpenSSH private key allowed to log in.
	ClientKey []byte
	// ClientKeyPath is a 0600 file holding ClientKey.
	ClientKeyPath string
	// KnownHosts is the known_hosts line for the server ("[127.0.0.1]:PORT type key").
	KnownHosts []byte
	// WrongKnownHosts is a well-formed known_hosts line for the same address
	// with a different key, for host-key mismatch tests.
	WrongKnownHosts []byte
}

// RepoURL returns ssh://USER@127.0.0.1:PORT/<absPath>.
func (s *SSHServer) RepoURL(absPath string) string {
	return fmt.Sprintf("ssh://%s@%s%s", s.User, s.Addr, filepath.ToSlash(absPath))
}

// StartSSHD runs /usr/sbin/sshd on 127.0.0.1 with its own host key and a
// generated client key until the test ends. It skips the test when sshd or
// ssh-keygen is absent.
func StartSSHD(t testing.TB) *SSHServer {
	t.Helper()
	for _, bin := range []string{SSHDBinary} {
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Skipf("sshd privilege separation directory: %v", err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	hostKey := sshKeygen(t, dir, "host_key")
	wrongKey := sshKeygen(t, dir, "wrong_host_key")
	clientKey := sshKeygen(t, dir, "client_key")
	authorized := filepath.Join(dir, "authorized_keys")
	sshCopy(t, clientKey+".pub", authorized)
	port := GitFreePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	config := filepath.Join(dir, "sshd_config")
	sshWriteConfig(t, config, port, hostKey, authorized, dir)
	cmd := exec.Command(SSHDBinary, "-f", config, "-D", "-e")
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sshd log:\n%s", logs.String())
		}
	})
	if err := GitWaitForTCP(addr, 10*time.Second); err != nil {
		t.Fatalf("sshd: %v\n%s", err, logs.String())
	}
	priv, err := os.ReadFile(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	return &SSHServer{
		Addr: addr, Port: port, User: u.Username, ClientKey: priv, ClientKeyPath: clientKey,
		KnownHosts:      sshKnownHostsLine(t, port, hostKey+".pub"),
		WrongKnownHosts: sshKnownHostsLine(t, port, wrongKey+".pub"),
	}
}

func sshWriteConfig(t testing.TB, path string, port int, hostKey, authorized, dir string) {
	t.Helper()
	lines := []string{
		"ListenAddress 127.0.0.1",
		"Port " + strconv.Itoa(port),
		"HostKey " + hostKey,
		"AuthorizedKeysFile " + authorized,
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PubkeyAuthentication yes",
		"StrictModes no",
		"UsePAM no",
		"PermitRootLogin prohibit-password",
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"LogLevel VERBOSE",
		"UseDNS no",
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// sshKeygen creates an ed25519 key pair dir/name(.pub) and returns the
// private key path.
func sshKeygen(t testing.TB, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	return path
}

func sshKnownHostsLine(t testing.TB, port int, pubPath string) []byte {
	t.Helper()
	pub, err := os.ReadFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(pub))
	return []byte(fmt.Sprintf("[127.0.0.1]:%d %s %s\n", port, fields[0], fields[1]))
}

func sshCopy(t testing.TB, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
