import HooktopCore

/// Glyphs and roles for statuses, shared by every view.
enum Marks {
    static func signature(_ s: SignatureStatus) -> (String, Role) {
        switch s {
        case .valid: ("✓", .sigValid)
        case .invalid: ("✗", .sigInvalid)
        case .expired: ("⏱", .sigExpired)
        case .noSecret: ("?", .sigNoSecret)
        case .missing: ("!", .sigMissing)
        case .none: ("–", .sigNone)
        }
    }

    static func method(_ m: String) -> Role {
        switch m.uppercased() {
        case "GET": .methodGET
        case "POST": .methodPOST
        case "PUT": .methodPUT
        case "PATCH": .methodPATCH
        case "DELETE": .methodDELETE
        default: .methodOther
        }
    }

    static func status(_ code: Int) -> Role {
        switch code {
        case 200..<300: .status2xx
        case 300..<400: .status3xx
        case 400..<500: .status4xx
        default: .status5xx
        }
    }

    static func delivery(_ d: DeliveryState) -> Role {
        switch d {
        case .delivered: .deliveryOK
        case .pending, .retrying: .deliveryPending
        case .failed: .deliveryFailed
        case .none: .dim
        }
    }

    static let sparks = Array("▁▂▃▄▅▆▇█")

    static func sparkline(_ values: [Int]) -> String {
        let top = max(1, values.max() ?? 1)
        return String(values.map { v in v == 0 ? " " : sparks[min(sparks.count - 1, v * (sparks.count - 1) / top)] })
    }
}
