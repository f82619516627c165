/// Why a model could not be resolved; every message names the model and, when one was made,
/// the request's URL.
public struct HubError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// 401/403: gated, private, or a token without access.
        case unauthorized(status: Int, hasToken: Bool)
        /// 404: no such model, revision or file.
        case notFound(String)
        /// Connection refused, DNS, TLS, a stalled transfer, an unexpected HTTP status.
        case network(String)
        /// `HF_HUB_OFFLINE` is set and the cache does not hold the model.
        case offline(cache: String)
        /// A safetensors header the tool will not read (too large, not JSON, a tensor outside the file).
        case badSafetensors(String)
        /// A download whose size or sha256 is not what the Hub announced.
        case verificationFailed(String)
        /// The cache folder could not be written.
        case cache(String)
    }

    /// The model id the request was for.
    public let model: String
    /// The URL that failed, when a request was made.
    public let url: String?
    /// The problem.
    public let kind: Kind

    /// An error for `model` at `url`.
    public init(model: String, url: String?, _ kind: Kind) {
        self.model = model
        self.url = url
        self.kind = kind
    }

    public var description: String {
        let at = url.map { " (\($0))" } ?? ""
        switch kind {
        case .unauthorized(let status, let hasToken):
            let advice =
                hasToken
                ? "the token in HF_TOKEN has no access to it; accept its licence on the Hub or use another token"
                : "it is gated or private (or does not exist): set HF_TOKEN to a token with access"
                    + " (after accepting its licence on the Hub)"
            return "\(model): HTTP \(status)\(at): \(advice)"
        case .notFound(let what):
            return "\(model): \(what)\(at)"
        case .network(let why):
            return "\(model): network failure\(at): \(why)"
        case .offline(let cache):
            return "\(model): HF_HUB_OFFLINE is set and the cache (\(cache)) does not hold this model with its weights"
        case .badSafetensors(let why):
            return "\(model): unusable safetensors header\(at): \(why)"
        case .verificationFailed(let why):
            return "\(model): download failed verification\(at): \(why)"
        case .cache(let why):
            return "\(model): cannot write the cache: \(why)"
        }
    }
}
