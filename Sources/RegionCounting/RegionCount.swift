import ExactArithmetic

/// How many rankings (permutations of the classes) a softmax layer `y = W x (+ b)` can realise,
/// for weights in general position. The count depends only on |C|, d and whether there is a bias.
///
/// Regions of the braid arrangement pulled back to input space correspond one-to-one to feasible
/// rankings. With a bias some regions are bounded (polytopes) and the rest unbounded; without a
/// bias every region is a cone, so none is bounded.
public struct RegionCount: Sendable, Hashable {
    public let classes: Int
    public let dimension: Int
    public let hasBias: Bool
    /// Feasible rankings = regions of the restricted braid arrangement.
    public let regions: BigInt
    /// Bounded regions (0 without a bias).
    public let boundedRegions: BigInt
    /// All rankings: |C|!.
    public let permutations: BigInt

    public init(
        classes: Int, dimension: Int, hasBias: Bool, regions: BigInt, boundedRegions: BigInt, permutations: BigInt
    ) {
        self.classes = classes
        self.dimension = dimension
        self.hasBias = hasBias
        self.regions = regions
        self.boundedRegions = boundedRegions
        self.permutations = permutations
    }

    public var unboundedRegions: BigInt { regions - boundedRegions }

    /// log10 of the fraction of all |C|! rankings that is feasible (0 when every ranking is).
    public var log10FeasibleFraction: Double {
        regions.isZero ? -.infinity : regions.log10Magnitude - permutations.log10Magnitude
    }
}
