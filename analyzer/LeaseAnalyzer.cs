using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// The lease family (PIN5xxx): pitfalls of the <c>PinAnalyzers.Leases</c> library that the compiler does not
    /// catch. (It does catch a <c>PinScope</c> kept across <c>await</c>, stored in a class field, boxed or captured by
    /// a lambda: the scopes are ref structs.) Registers nothing when the library is not referenced.
    /// See docs/rules/PIN5001.md … PIN5004.md.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class LeaseAnalyzer : PinAnalyzerBase
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.PIN5001LeaseNotDisposed,
            Descriptors.PIN5002ScopeAddressOutlivesScope,
            Descriptors.PIN5003ScopeNotDisposed,
            Descriptors.PIN5004HolderIgnoresRevocation);

        private protected override void OnCompilationStart(CompilationStartAnalysisContext context, PinApis apis)
        {
            if (!apis.HasLeases)
            {
                return;
            }

            var options = new PinFlowOptions.Provider(context.Options.AnalyzerConfigOptionsProvider);
            RegisterPinSites(
                context,
                operation => FindSite(operation, apis),
                (blockContext, method, sites) =>
                {
                    foreach (var site in sites)
                    {
                        var fate = PinFlow.Follow(site, method, apis, options.For(site.Syntax.SyntaxTree));
                        foreach (var diagnostic in Verdicts(fate))
                        {
                            blockContext.ReportDiagnostic(diagnostic);
                        }
                    }
                },
                OperationKind.Invocation);

            context.RegisterSymbolStartAction(symbolStart => HolderRevocation.Register(symbolStart, apis), SymbolKind.NamedType);
        }

        /// <summary>Lease acquisitions and scope entries.</summary>
        internal static PinSite? FindSite(IOperation operation, PinApis apis)
        {
            if (operation is not IInvocationOperation invocation)
            {
                return null;
            }

            var method = invocation.TargetMethod;
            if (method.IsStatic && method.Name is "Acquire" or "Allocate" or "TryAcquire" && apis.IsLease(method.ContainingType))
            {
                return new PinSite(invocation, PinKind.Lease, invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null);
            }

            if (!method.IsStatic && method.Name is "Enter" or "TryEnter" && apis.IsLease(method.ContainingType))
            {
                return new PinSite(invocation, PinKind.LeaseScope, invocation.Instance);
            }

            return null;
        }

        private static IEnumerable<Diagnostic> Verdicts(PinFate fate)
        {
            var location = fate.Site.Syntax.GetLocation();
            if (fate.Site.Kind == PinKind.Lease)
            {
                // A lease that escapes (field, return, out) is meant to live long: that is what leases are for. Its
                // address escaping is not the lease escaping: nobody else can dispose it then.
                var leaseEscapes = false;
                foreach (var sink in fate.Sinks)
                {
                    leaseEscapes |= !sink.IsAddress;
                }

                if (!leaseEscapes && fate.Release != PinRelease.AllPaths)
                {
                    yield return Diagnostic.Create(Descriptors.PIN5001LeaseNotDisposed, location, fate.DescribeLeak("disposed"));
                }

                yield break;
            }

            var handedOver = false;
            foreach (var sink in fate.Sinks)
            {
                if (sink.IsAddress)
                {
                    yield return Diagnostic.Create(Descriptors.PIN5002ScopeAddressOutlivesScope, sink.Operation.Syntax.GetLocation(), sink.Description);
                }
                else
                {
                    // The scope itself returned or written to an out parameter: the caller closes it.
                    handedOver = true;
                }
            }

            if (!handedOver && fate.Release != PinRelease.AllPaths)
            {
                yield return Diagnostic.Create(Descriptors.PIN5003ScopeNotDisposed, location, fate.DescribeLeak("disposed"));
            }
        }

        /// <summary>
        /// PIN5004, per type: a field that the type fills with a lease it acquires, and no read of any lease's
        /// <c>RevocationRequested</c> anywhere in the type.
        /// </summary>
        private sealed class HolderRevocation
        {
            private readonly PinApis _apis;
            private readonly ConcurrentDictionary<IFieldSymbol, byte> _held = new(SymbolEqualityComparer.Default);
            private int _observes;

            private HolderRevocation(PinApis apis) => _apis = apis;

            internal static void Register(SymbolStartAnalysisContext context, PinApis apis)
            {
                var type = (INamedTypeSymbol)context.Symbol;
                if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct) || !HasLeaseField(type, apis))
                {
                    return;
                }

                var state = new HolderRevocation(apis);
                context.RegisterOperationAction(state.OnAssignment, OperationKind.SimpleAssignment, OperationKind.CoalesceAssignment);
                context.RegisterOperationAction(state.OnFieldInitializer, OperationKind.FieldInitializer);
                context.RegisterOperationAction(state.OnArgument, OperationKind.Argument);
                context.RegisterOperationAction(state.OnPropertyReference, OperationKind.PropertyReference);
                context.RegisterSymbolEndAction(state.OnEnd);
            }

            private static bool HasLeaseField(INamedTypeSymbol type, PinApis apis)
            {
                foreach (var member in type.GetMembers())
                {
                    if (member is IFieldSymbol field && apis.IsLease(field.Type))
                    {
                        return true;
                    }
                }

                return false;
            }

            private void OnAssignment(OperationAnalysisContext context)
            {
                // _lease = PinLease<T>.Acquire(...), and _lease ??= ...
                var assignment = (IAssignmentOperation)context.Operation;
                if (assignment.Target is IFieldReferenceOperation field && _apis.IsLease(field.Field.Type) && IsAcquisition(assignment.Value))
                {
                    _held.TryAdd(field.Field, 0);
                }
            }

            private void OnFieldInitializer(OperationAnalysisContext context)
            {
                var initializer = (IFieldInitializerOperation)context.Operation;
                if (IsAcquisition(initializer.Value))
                {
                    foreach (var field in initializer.InitializedFields)
                    {
                        if (_apis.IsLease(field.Type))
                        {
                            _held.TryAdd(field, 0);
                        }
                    }
                }
            }

            private void OnArgument(OperationAnalysisContext context)
            {
                // PinLease<T>.TryAcquire(array, budget, out _lease)
                var argument = (IArgumentOperation)context.Operation;
                if (argument.Parameter?.RefKind == RefKind.Out && argument.Value is IFieldReferenceOperation field && _apis.IsLease(field.Field.Type)
                    && argument.Parent is IInvocationOperation { TargetMethod.Name: "TryAcquire" })
                {
                    _held.TryAdd(field.Field, 0);
                }
            }

            private void OnPropertyReference(OperationAnalysisContext context)
            {
                var property = (IPropertyReferenceOperation)context.Operation;
                if (property.Property.Name == "RevocationRequested" && _apis.IsLease(property.Property.ContainingType))
                {
                    System.Threading.Interlocked.Exchange(ref _observes, 1);
                }
            }

            private void OnEnd(SymbolAnalysisContext context)
            {
                if (System.Threading.Volatile.Read(ref _observes) != 0)
                {
                    return;
                }

                foreach (var field in _held.Keys)
                {
                    if (field.Locations.Length > 0 && SymbolEqualityComparer.Default.Equals(field.ContainingType, context.Symbol))
                    {
                        context.ReportDiagnostic(Diagnostic.Create(Descriptors.PIN5004HolderIgnoresRevocation, field.Locations[0], context.Symbol.Name));
                    }
                }
            }

            private bool IsAcquisition(IOperation value)
                => value.WalkDownConversions() is IInvocationOperation { TargetMethod: { IsStatic: true, Name: "Acquire" or "Allocate" } method }
                   && _apis.IsLease(method.ContainingType);
        }
    }
}
