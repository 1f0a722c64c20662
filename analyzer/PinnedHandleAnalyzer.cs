using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// PIN1001 and PIN1002: pinned <c>GCHandle</c>s and <c>PinnedGCHandle&lt;T&gt;</c>s that outlive their
    /// method or are not freed on every path. See docs/rules/PIN1001.md and PIN1002.md.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class PinnedHandleAnalyzer : PinAnalyzerBase
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.PIN1001PinnedHandleOutlivesMethod,
            Descriptors.PIN1002PinnedHandleNotFreed);

        private protected override void OnCompilationStart(CompilationStartAnalysisContext context, PinApis apis)
        {
            var pinnedObjectHeap = new PinnedObjectHeap(apis);
            RegisterPinSites(
                context,
                operation => HandlePinSites.Find(operation, apis),
                (blockContext, method, sites) =>
                {
                    foreach (var site in sites)
                    {
                        if (pinnedObjectHeap.Holds(site.Target, method))
                        {
                            continue;
                        }

                        var fate = PinFlow.Follow(site, method, apis, PinFlowOptions.Default);
                        if (Verdict(fate) is { } diagnostic)
                        {
                            blockContext.ReportDiagnostic(diagnostic);
                        }
                    }
                },
                OperationKind.Invocation,
                OperationKind.ObjectCreation);
        }

        /// <summary>At most one of PIN1001/PIN1002 per site: an escape is the finding when there is one.</summary>
        private static Diagnostic? Verdict(PinFate fate)
        {
            if (fate.Release == PinRelease.AllPaths)
            {
                return null;
            }

            var location = fate.Site.Syntax.GetLocation();
            if (fate.Escapes)
            {
                var sink = fate.Sinks[0];
                var what = sink.IsAddress ? "its address is " : "it is ";
                return Diagnostic.Create(Descriptors.PIN1001PinnedHandleOutlivesMethod, location, what + sink.Description);
            }

            return Diagnostic.Create(Descriptors.PIN1002PinnedHandleNotFreed, location, fate.DescribeLeak("freed"));
        }
    }

    /// <summary>Recognises the handle pin sites: <c>GCHandle.Alloc(x, GCHandleType.Pinned)</c> and <c>new PinnedGCHandle&lt;T&gt;(x)</c>.</summary>
    internal static class HandlePinSites
    {
        internal static PinSite? Find(IOperation operation, PinApis apis)
        {
            switch (operation)
            {
                case IInvocationOperation invocation when invocation.Arguments.Length == 2 && PinApis.IsAny(invocation.TargetMethod, apis.GCHandleAlloc):
                    {
                        IOperation? target = null;
                        var pinned = false;
                        foreach (var argument in invocation.Arguments)
                        {
                            if (argument.Parameter is null)
                            {
                                return null;
                            }

                            if (SymbolEqualityComparer.Default.Equals(argument.Parameter.Type, apis.GCHandleType))
                            {
                                // Only a constant Pinned is a pin we can judge; a variable handle type is not reported.
                                pinned = argument.Value.ConstantValue is { HasValue: true, Value: int value } && value == PinApis.GCHandleTypePinned;
                            }
                            else
                            {
                                target = argument.Value;
                            }
                        }

                        return pinned ? new PinSite(invocation, PinKind.GCHandle, target) : null;
                    }

                case IObjectCreationOperation creation when creation.Arguments.Length == 1 && apis.IsPinnedGCHandle(creation.Type):
                    return new PinSite(creation, PinKind.TypedHandle, creation.Arguments[0].Value);

                default:
                    return null;
            }
        }
    }

    /// <summary>
    /// Whether a pinned object provably lives on the Pinned Object Heap (DESIGN.md): a
    /// <c>GC.AllocateArray(n, pinned: true)</c> itself, a local every assignment of which is one, or a
    /// <c>readonly</c> field every assignment of which is one. Such a pin is not long-lived.
    /// </summary>
    internal sealed class PinnedObjectHeap
    {
        private readonly PinApis _apis;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<IFieldSymbol, bool> _fields = new(SymbolEqualityComparer.Default);

        internal PinnedObjectHeap(PinApis apis) => _apis = apis;

        internal bool Holds(IOperation? target, MethodFlow method)
        {
            target = target.WalkDownConversions();
            switch (target)
            {
                case null:
                    return false;
                case ILocalReferenceOperation local:
                    return LocalHolds(local, method);
                case IFieldReferenceOperation field:
                    return field.Field.IsReadOnly && _fields.GetOrAdd(field.Field, FieldHolds);
                default:
                    return _apis.IsPinnedObjectHeapAllocation(target);
            }
        }

        private bool LocalHolds(ILocalReferenceOperation local, MethodFlow method)
        {
            var function = method.FunctionOf(local);
            var assigned = false;
            foreach (var reference in function.ReferencesTo(local.Local))
            {
                switch (reference.Parent)
                {
                    case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target, reference):
                        if (!_apis.IsPinnedObjectHeapAllocation(assignment.Value))
                        {
                            return false;
                        }

                        assigned = true;
                        break;
                    case IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref }:
                        return false;
                }
            }

            // The declaration's initializer is not a reference: look at the declarator.
            foreach (var syntax in local.Local.DeclaringSyntaxReferences)
            {
                var declarator = local.SemanticModel?.GetOperation(syntax.GetSyntax(method.CancellationToken), method.CancellationToken);
                if (declarator is IVariableDeclaratorOperation { Initializer: { } initializer })
                {
                    if (!_apis.IsPinnedObjectHeapAllocation(initializer.Value))
                    {
                        return false;
                    }

                    assigned = true;
                }
            }

            return assigned;
        }

        /// <summary>
        /// A readonly field is assigned only in its initializer and the constructors of its type. Those may sit in
        /// other files, so they are read as syntax: <c>GC.AllocateArray&lt;T&gt;(n, pinned: true)</c> by shape.
        /// </summary>
        private static bool FieldHolds(IFieldSymbol field)
        {
            var assigned = false;
            foreach (var reference in field.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer: { } initializer })
                {
                    if (!PinnedObjectHeapSyntax.IsAllocation(initializer.Value))
                    {
                        return false;
                    }

                    assigned = true;
                }
            }

            foreach (var typeReference in field.ContainingType.DeclaringSyntaxReferences)
            {
                foreach (var node in typeReference.GetSyntax().DescendantNodes())
                {
                    if (node is Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax assignment && PinnedObjectHeapSyntax.Names(assignment.Left, field.Name))
                    {
                        if (!PinnedObjectHeapSyntax.IsAllocation(assignment.Right))
                        {
                            return false;
                        }

                        assigned = true;
                    }
                }
            }

            return assigned;
        }
    }
}
