using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>PIN2002, shared by the analyzers whose pins end in the method: fixed and freed handles.</summary>
    internal static class RetainingCalls
    {
        internal static Diagnostic Diagnose(PinSink sink)
        {
            var name = sink.Operation.Parent switch
            {
                IInvocationOperation invocation => invocation.TargetMethod.Name,
                IObjectCreationOperation creation => creation.Type?.Name ?? "new",
                _ => "call",
            };

            // A request that may still run names the path out of the pin: ": the I/O may still be pending when the fixed
            // statement ends via 'return'".
            var pending = sink.Pending is null ? string.Empty : ": " + sink.Pending;

            // A catalogue API names why it keeps the pointer: ": the surface uses the pixel data until it is freed".
            if (sink.Operation is IArgumentOperation argument
                && argument.Parent is IInvocationOperation or IObjectCreationOperation
                && TargetOf(argument.Parent) is { } method
                && RetainingApis.Find(method, argument.Parameter, argument.Parent) is { Summary: { } summary })
            {
                pending += (pending.Length == 0 ? ": " : "; ") + summary;
            }

            return Diagnostic.Create(Descriptors.PIN2002PointerPassedToRetainingCall, sink.Operation.Syntax.GetLocation(), name, pending);
        }

        private static IMethodSymbol? TargetOf(IOperation? call) => call switch
        {
            IInvocationOperation invocation => invocation.TargetMethod,
            IObjectCreationOperation creation => creation.Constructor,
            _ => null,
        };
    }
}
