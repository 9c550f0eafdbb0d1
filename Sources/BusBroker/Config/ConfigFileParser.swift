// Config File Parser
//
// Walks the XML events of one busconfig file and applies each element to the
// configuration, with dbus-daemon's rules for what may appear where.

/// Parses one file into a `BusConfig`, recursing through the loader for includes.
struct ConfigFileParser {
    let loader: ConfigLoader
    let file: String
    let baseDirectory: String
    /// Canonical paths of this file and the files that include it.
    let chain: [String]
    private var stack: [Frame] = []

    init(loader: ConfigLoader, file: String, baseDirectory: String, chain: [String]) {
        self.loader = loader
        self.file = file
        self.baseDirectory = baseDirectory
        self.chain = chain
    }

    /// An open element and the text gathered inside it since the last tag.
    private struct Frame {
        let element: Element
        let name: String
        let position: XMLPosition
        var text = ""
        var hadContent = false
    }

    /// The elements busconfig knows, with what their start tag said.
    private enum Element {
        case busconfig, policy, rule, selinux, associate, apparmor
        /// Elements that may hold only whitespace: `<fork/>` and friends.
        case flag
        /// Elements whose text is their value.
        case valued(Valued)
    }

    private enum Valued {
        case user, type, listen, auth, pidfile, servicehelper, servicedir, includedir
        case include(ignoreMissing: Bool, ifSelinuxEnabled: Bool, selinuxRootRelative: Bool)
        case limit(String)
    }

    mutating func parse(_ bytes: [UInt8], into config: inout BusConfig) throws(ConfigError) {
        var reader = XMLReader(bytes)
        while true {
            let event: XMLEvent?
            do throws(XMLError) { event = try reader.next() } catch {
                throw ConfigError(.malformedXML(error.reason), file: file, at: error.position)
            }
            guard let event else { return }
            switch event.kind {
            case .start(let name, let attributes):
                try flushText(into: &config)
                try start(name, attributes, at: event.position, into: &config)
            case .end:
                try flushText(into: &config)
                try end(into: &config)
            case .text(let text):
                stack[stack.count - 1].text += text  // the reader emits text only inside an element
            }
        }
    }

    // MARK: - Start tags

    private mutating func start(_ name: String, _ attributes: [XMLAttribute], at position: XMLPosition,
                                into config: inout BusConfig) throws(ConfigError) {
        let element: Element
        switch stack.last?.element {
        case nil:
            guard name == "busconfig" else { throw ConfigError(.unknownRootElement(name), file: file, at: position) }
            try checkNoAttributes(attributes, on: name, at: position)
            element = .busconfig
        case .busconfig?:
            element = try busconfigChild(name, attributes, at: position, into: &config)
        case .policy?:
            guard name == "allow" || name == "deny" else { throw notAllowed(name, at: position) }
            let rule = try PolicyRuleParser(element: name, allow: name == "allow", file: file, position: position).parse(attributes)
            try append(rule, into: &config, at: position)
            element = .rule
        case .selinux?:
            guard name == "associate" else { throw notAllowed(name, at: position) }
            config.selinuxAssociations.append(try association(attributes, at: position))
            element = .associate
        default:
            throw notAllowed(name, at: position)
        }
        stack.append(Frame(element: element, name: name, position: position))
    }

    private func busconfigChild(_ name: String, _ attributes: [XMLAttribute], at position: XMLPosition,
                                into config: inout BusConfig) throws(ConfigError) -> Element {
        switch name {
        case "include": return .valued(try includeElement(attributes, at: position))
        case "policy":
            config.policies.append(PolicySection(context: try policyContext(attributes, at: position), rules: [], file: file, line: position.line))
            return .policy
        case "limit":
            let values = try attributeValues(attributes, allowed: ["name"], on: name, at: position)
            guard let limit = values["name"] else { throw ConfigError(.missingAttribute("name", on: name), file: file, at: position) }
            return .valued(.limit(limit))
        case "apparmor":
            let values = try attributeValues(attributes, allowed: ["mode"], on: name, at: position)
            if let mode = values["mode"], !["required", "enabled", "disabled"].contains(mode) {
                throw ConfigError(.badAttributeValue(attribute: "mode", value: mode, expected: "required, enabled or disabled"), file: file, at: position)
            }
            config.notes.append(ConfigNote(file: file, line: position.line, message: "<apparmor> ignored: swiftbusd does not mediate with AppArmor"))
            return .apparmor
        case "selinux":
            try checkNoAttributes(attributes, on: name, at: position)
            config.notes.append(ConfigNote(file: file, line: position.line, message: "<selinux> kept but not enforced: swiftbusd does not mediate with SELinux"))
            return .selinux
        default: break
        }
        try checkNoAttributes(attributes, on: name, at: position)
        switch name {
        case "fork": config.fork = true
        case "syslog": config.syslog = true
        case "keep_umask": config.keepUmask = true
        case "allow_anonymous": config.allowAnonymous = true
        case "standard_session_servicedirs": config.addServiceDirectory(.standardSession)
        case "standard_system_servicedirs": config.addServiceDirectory(.standardSystem)
        case "user": return .valued(.user)
        case "type": return .valued(.type)
        case "listen": return .valued(.listen)
        case "auth": return .valued(.auth)
        case "pidfile": return .valued(.pidfile)
        case "servicehelper": return .valued(.servicehelper)
        case "servicedir": return .valued(.servicedir)
        case "includedir": return .valued(.includedir)
        default: throw notAllowed(name, at: position)
        }
        return .flag
    }

    private func includeElement(_ attributes: [XMLAttribute], at position: XMLPosition) throws(ConfigError) -> Valued {
        let values = try attributeValues(attributes, allowed: ["ignore_missing", "if_selinux_enabled", "selinux_root_relative"],
                                         on: "include", at: position)
        func yesNo(_ attribute: String) throws(ConfigError) -> Bool {
            switch values[attribute] {
            case nil, "no"?: return false
            case "yes"?: return true
            case let text?: throw ConfigError(.badAttributeValue(attribute: attribute, value: text, expected: "yes or no"), file: file, at: position)
            }
        }
        return .include(ignoreMissing: try yesNo("ignore_missing"), ifSelinuxEnabled: try yesNo("if_selinux_enabled"),
                        selinuxRootRelative: try yesNo("selinux_root_relative"))
    }

    private func policyContext(_ attributes: [XMLAttribute], at position: XMLPosition) throws(ConfigError) -> PolicyContext {
        let values = try attributeValues(attributes, allowed: ["context", "user", "group", "at_console"], on: "policy", at: position)
        guard values.count == 1, let (attribute, value) = values.first else {
            throw ConfigError(.policyNeedsOneContext, file: file, at: position)
        }
        switch (attribute, value) {
        case ("context", "default"): return .defaultContext
        case ("context", "mandatory"): return .mandatory
        case ("context", _):
            throw ConfigError(.badAttributeValue(attribute: "context", value: value, expected: "default or mandatory"), file: file, at: position)
        case ("user", _): return .user(PolicyPrincipal(value))
        case ("group", _): return .group(PolicyPrincipal(value))
        case (_, "true"): return .atConsole(true)
        case (_, "false"): return .atConsole(false)
        default:
            throw ConfigError(.badAttributeValue(attribute: "at_console", value: value, expected: "true or false"), file: file, at: position)
        }
    }

    private func association(_ attributes: [XMLAttribute], at position: XMLPosition) throws(ConfigError) -> SelinuxAssociation {
        let values = try attributeValues(attributes, allowed: ["own", "context"], on: "associate", at: position)
        guard let own = values["own"] else { throw ConfigError(.missingAttribute("own", on: "associate"), file: file, at: position) }
        guard let context = values["context"] else { throw ConfigError(.missingAttribute("context", on: "associate"), file: file, at: position) }
        return SelinuxAssociation(ownedName: own, context: context)
    }

    /// Adds a rule to the innermost `<policy>`. User and group rules decide who may connect
    /// at all, so dbus-daemon refuses them inside a per-user or per-group policy.
    private func append(_ rule: PolicyRule, into config: inout BusConfig, at position: XMLPosition) throws(ConfigError) {
        let section = config.policies.count - 1  // start() pushed this <policy>'s section
        let isConnectRule: Bool
        switch rule.kind {
        case .user, .group: isConnectRule = true
        default: isConnectRule = false
        }
        if isConnectRule {
            switch config.policies[section].context {
            case .user: throw ConfigError(.globalRuleInPerUserPolicy(rule.allow ? "allow" : "deny", context: "user"), file: file, at: position)
            case .group: throw ConfigError(.globalRuleInPerUserPolicy(rule.allow ? "allow" : "deny", context: "group"), file: file, at: position)
            default: break
            }
        }
        config.policies[section].rules.append(rule)
    }

    // MARK: - Text and end tags

    /// Applies the text gathered in the innermost element, as dbus-daemon does at each tag.
    private mutating func flushText(into config: inout BusConfig) throws(ConfigError) {
        guard var frame = stack.popLast() else { return }
        defer { stack.append(frame) }
        let text = Self.trimmed(frame.text)
        frame.text = ""
        if text.isEmpty { return }
        guard case .valued(let valued) = frame.element, !frame.hadContent else {
            throw ConfigError(.unexpectedText(inside: frame.name), file: file, at: frame.position)
        }
        frame.hadContent = true
        try apply(text, to: valued, at: frame.position, into: &config)
    }

    private func apply(_ text: String, to element: Valued, at position: XMLPosition, into config: inout BusConfig) throws(ConfigError) {
        switch element {
        case .user: config.user = text
        case .type: config.type = BusType(text)
        case .listen: config.listen.append(text)
        case .auth: config.authMechanisms.append(text)
        case .pidfile: config.pidFile = text
        case .servicehelper: config.serviceHelper = ConfigLoader.resolve(text, against: baseDirectory)
        case .servicedir: config.addServiceDirectory(.path(ConfigLoader.resolve(text, against: baseDirectory)))
        case .includedir: loader.includeDirectory(ConfigLoader.resolve(text, against: baseDirectory), into: &config, chain: chain)
        case .include(let ignoreMissing, let ifSelinuxEnabled, let selinuxRootRelative):
            // SELinux is treated as not enabled: such includes are skipped, and a path relative
            // to the SELinux policy root cannot be resolved.
            if ifSelinuxEnabled { return }
            if selinuxRootRelative { throw ConfigError(.selinuxRootUnknown, file: file, at: position) }
            // dbus-daemon does not carry <syslog/> out of an included file; neither do we.
            let syslog = config.syslog
            try loader.include(ConfigLoader.resolve(text, against: baseDirectory), ignoreMissing: ignoreMissing,
                               into: &config, chain: chain, from: (file, position))
            config.syslog = syslog
        case .limit(let name):
            try setLimit(name, text, at: position, into: &config)
        }
    }

    private func setLimit(_ name: String, _ text: String, at position: XMLPosition, into config: inout BusConfig) throws(ConfigError) {
        guard let value = Int(text) else { throw ConfigError(.badLimitValue(name: name, value: text), file: file, at: position) }
        guard let limit = LimitName(rawValue: name) else { throw ConfigError(.unknownLimit(name), file: file, at: position) }
        if value < 0 { throw ConfigError(.negativeLimit(name), file: file, at: position) }
        if limit.mustFitInt32 && value > Int(Int32.max) { throw ConfigError(.limitTooLarge(name), file: file, at: position) }
        config.limits[limit] = value
    }

    private mutating func end(into config: inout BusConfig) throws(ConfigError) {
        let frame = stack.removeLast()  // the reader guarantees a matching open tag
        if case .valued = frame.element, !frame.hadContent {
            throw ConfigError(.missingContent(frame.name), file: file, at: frame.position)
        }
    }

    // MARK: - Attributes

    private func checkNoAttributes(_ attributes: [XMLAttribute], on element: String, at position: XMLPosition) throws(ConfigError) {
        if let first = attributes.first { throw ConfigError(.attributeNotAllowed(first.name, on: element), file: file, at: position) }
    }

    private func attributeValues(_ attributes: [XMLAttribute], allowed: [String], on element: String,
                                 at position: XMLPosition) throws(ConfigError) -> [String: String] {
        var values: [String: String] = [:]
        for attribute in attributes {
            guard allowed.contains(attribute.name) else {
                throw ConfigError(.attributeNotAllowed(attribute.name, on: element), file: file, at: position)
            }
            values[attribute.name] = attribute.value
        }
        return values
    }

    private func notAllowed(_ name: String, at position: XMLPosition) -> ConfigError {
        ConfigError(.elementNotAllowed(name, inside: stack.last?.name ?? "busconfig"), file: file, at: position)
    }

    static func trimmed(_ text: String) -> String {
        guard let first = text.firstIndex(where: { !$0.isXMLWhitespace }),
              let last = text.lastIndex(where: { !$0.isXMLWhitespace }) else { return "" }
        return String(text[first...last])
    }
}
