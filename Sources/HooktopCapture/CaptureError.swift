import Foundation
import HooktopCore
import NIOCore

/// Why the capture server could not start, for the person who started it.
public struct CaptureError: Error, CustomStringConvertible {
    private enum Kind {
        case addressInUse
        case permissionDenied
        case other(String)
    }

    public let address: ListenAddress
    private let kind: Kind

    /// Classified by the socket's errno, not by the words of the error.
    static func cannotListen(_ address: ListenAddress, _ error: any Error) -> CaptureError {
        let kind: Kind = switch (error as? IOError)?.errnoCode {
        case EADDRINUSE: .addressInUse
        case EACCES, EPERM: .permissionDenied
        default: .other("\(error)")
        }
        return CaptureError(address: address, kind: kind)
    }

    public var description: String {
        let why = switch kind {
        case .addressInUse: "the address is already in use (another hooktop? pick a port with --listen)"
        case .permissionDenied: "permission denied (ports below 1024 need privileges)"
        case .other(let text): text
        }
        return "cannot listen on \(address): \(why)"
    }
}
