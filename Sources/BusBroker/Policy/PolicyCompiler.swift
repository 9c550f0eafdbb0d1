// Policy Compiler
//
// Files each parsed rule under its context, resolving names, as dbus-daemon's config
// parser does while it reads (bus/config-parser.c).

/// Builds the `PolicyEngine`'s tables from `PolicySection`s, one at a time, in order.
struct PolicyCompiler {
    let userDatabase: any PolicyUserDatabase
    var warnings: [PolicyWarning] = []
    var defaultRules = ContextRules()
    var mandatoryRules = ContextRules()
    var rulesByUser: [UInt32: ContextRules] = [:]
    var rulesByGroup: [UInt32: ContextRules] = [:]
    var consoleRules = ContextRules()
    var nonConsoleRules = ContextRules()
    var defaultConnectRules: [ConnectRule] = []
    var mandatoryConnectRules: [ConnectRule] = []
    var strings = PolicyStringTable()

    /// Where a section's rules go.
    private enum Target {
        case defaultContext, mandatory, user(UInt32), group(UInt32), console(Bool)
    }

    init(userDatabase: any PolicyUserDatabase) {
        self.userDatabase = userDatabase
    }

    mutating func add(_ section: PolicySection) {
        guard let target = target(of: section) else { return }
        var rules = ContextRules()
        var connect: [ConnectRule] = []
        for rule in section.rules {
            switch rule.kind {
            case .send(let send): rules.send.append(CompiledSendRule(send, allow: rule.allow, strings: &strings))
            case .receive(let receive): rules.receive.append(CompiledReceiveRule(receive, allow: rule.allow, strings: &strings))
            case .own(let name): rules.own.append(CompiledOwnRule(allow: rule.allow, name: CompiledNameMatch(name, strings: &strings)))
            case .user(let principal), .group(let principal):
                if let resolved = connectRule(rule, principal) { connect.append(resolved) }
            }
        }
        switch target {
        case .defaultContext:
            defaultRules.append(rules)
            defaultConnectRules += connect
        case .mandatory:
            mandatoryRules.append(rules)
            mandatoryConnectRules += connect
        case .user(let uid): rulesByUser[uid, default: ContextRules()].append(rules)
        case .group(let gid): rulesByGroup[gid, default: ContextRules()].append(rules)
        // dbus-daemon files user/group rules of console blocks too, then never reads them.
        case .console(true): consoleRules.append(rules)
        case .console(false): nonConsoleRules.append(rules)
        }
    }

    /// The block's context with its user or group resolved; nil (and a warning) when the
    /// name is unknown, and dbus-daemon ignores the whole block. `user="*"` is no wildcard
    /// here: it is looked up as a name, fails, and the block is ignored (dbus-daemon 1.14).
    private mutating func target(of section: PolicySection) -> Target? {
        switch section.context {
        case .defaultContext: return .defaultContext
        case .mandatory: return .mandatory
        case .atConsole(let console): return .console(console)
        case .user(let principal):
            let name = principal.writtenName
            if let uid = userDatabase.userID(named: name) { return .user(uid) }
            warn(section.file, section.line, "Unknown username \"\(name)\" in message bus configuration file")
            return nil
        case .group(let principal):
            let name = principal.writtenName
            if let gid = userDatabase.groupID(named: name) { return .group(gid) }
            warn(section.file, section.line, "Unknown group \"\(name)\" in message bus configuration file")
            return nil
        }
    }

    private mutating func connectRule(_ rule: PolicyRule, _ principal: PolicyPrincipal) -> ConnectRule? {
        let element = rule.allow ? "allow" : "deny"
        let isUser: Bool
        if case .user = rule.kind { isUser = true } else { isUser = false }
        guard case .named(let name) = principal else { return ConnectRule(allow: rule.allow, principal: .anyone) }
        if isUser {
            if let uid = userDatabase.userID(named: name) { return ConnectRule(allow: rule.allow, principal: .user(uid)) }
            warn(rule.file, rule.line, "Unknown username \"\(name)\" on element <\(element)>")
        } else {
            if let gid = userDatabase.groupID(named: name) { return ConnectRule(allow: rule.allow, principal: .group(gid)) }
            warn(rule.file, rule.line, "Unknown group \"\(name)\" on element <\(element)>")
        }
        return nil
    }

    private mutating func warn(_ file: String, _ line: Int, _ message: String) {
        warnings.append(PolicyWarning(file: file, line: line, message: message))
    }
}

extension PolicyPrincipal {
    /// The name as the file spelled it (`*` for `.any`).
    var writtenName: String {
        switch self {
        case .any: "*"
        case .named(let name): name
        }
    }
}
