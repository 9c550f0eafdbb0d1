// Built-in Session Configuration
//
// The session bus configuration swiftbusd uses when started with no config file, so it
// runs on a machine with no dbus-daemon installed.

/// A busconfig equivalent to Debian's /usr/share/dbus-1/session.conf: a session bus on a
/// fresh socket in /tmp, EXTERNAL authentication, everything allowed, the same include
/// points, and limits high enough never to be hit by a single user's session.
public enum BuiltinSessionConfig {
    /// The name the built-in text has in messages.
    public static let name = "<built-in session.conf>"
    /// Relative includes resolve here, as they would for the installed session.conf.
    public static let baseDirectory = "/usr/share/dbus-1"

    public static let text = """
        <busconfig>
          <type>session</type>
          <keep_umask/>
          <listen>unix:tmpdir=/tmp</listen>
          <auth>EXTERNAL</auth>
          <standard_session_servicedirs/>
          <policy context="default">
            <allow send_destination="*" eavesdrop="true"/>
            <allow eavesdrop="true"/>
            <allow own="*"/>
          </policy>
          <include ignore_missing="yes">/etc/dbus-1/session.conf</include>
          <includedir>session.d</includedir>
          <includedir>/etc/dbus-1/session.d</includedir>
          <include ignore_missing="yes">/etc/dbus-1/session-local.conf</include>
          <include if_selinux_enabled="yes" selinux_root_relative="yes">contexts/dbus_contexts</include>
          <limit name="max_incoming_bytes">1000000000</limit>
          <limit name="max_incoming_unix_fds">250000000</limit>
          <limit name="max_outgoing_bytes">1000000000</limit>
          <limit name="max_outgoing_unix_fds">250000000</limit>
          <limit name="max_message_size">1000000000</limit>
          <limit name="service_start_timeout">120000</limit>
          <limit name="auth_timeout">240000</limit>
          <limit name="pending_fd_timeout">150000</limit>
          <limit name="max_completed_connections">100000</limit>
          <limit name="max_incomplete_connections">10000</limit>
          <limit name="max_connections_per_user">100000</limit>
          <limit name="max_pending_service_starts">10000</limit>
          <limit name="max_names_per_connection">50000</limit>
          <limit name="max_match_rules_per_connection">50000</limit>
          <limit name="max_replies_per_connection">50000</limit>
        </busconfig>
        """
}
