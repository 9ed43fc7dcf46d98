import Foundation
import HooktopCore

/// Where a replay goes.
public enum ReplayURL {
    /// `to` with the request's own target when `to` has no path, `to` with
    /// the request's query when it has a path but no query of its own, else
    /// `to` as given; without `to`, the request's target URL. A `to` that is
    /// not an http(s) URL with a host (and a port that fits) is refused
    /// before anything is sent or recorded.
    public static func resolve(_ request: CapturedRequest, to: String?) throws(DeliveryError) -> String {
        if let to {
            guard let c = URLComponents(string: to), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = c.host, !host.isEmpty, (c.port ?? 1) > 0, (c.port ?? 1) <= 65535, c.fragment == nil else {
                throw .badReplayURL(TerminalText.inline(to))
            }
            let (origin, path) = ForwardTarget.splitURL(to)
            if path.isEmpty || path == "/" { return origin + request.target }
            if c.query == nil, !request.query.isEmpty { return to + "?" + request.query }
            return to
        }
        guard let url = request.targetURL else { throw .noTargetForReplay(request.id) }
        return url
    }
}
