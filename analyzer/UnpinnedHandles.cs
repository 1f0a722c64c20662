using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers
{
    /// <summary>
    /// PIN1005: <c>AddrOfPinnedObject()</c> on a handle whose every allocation, in the method (local) or in its
    /// type (field), is <c>Normal</c>, <c>Weak</c>, <c>WeakTrackResurrection</c> or the one-argument overload. An
    /// allocation of unknown kind (a variable handle type, a handle from elsewhere) means no report.
    /// </summary>
    internal static class UnpinnedHandles
    {
        internal static void Analyze(OperationAnalysisContext context, PinApis apis)
        {
            var invocation = (IInvocationOperation)context.Operation;
            if (!PinApis.Is(invocation.TargetMethod, apis.GCHandleAddrOfPinnedObject))
            {
                return;
            }

            ISymbol? holder = invocation.Instance.WalkDownConversions() switch
            {
                ILocalReferenceOperation local => local.Local,
                IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
                _ => null,
            };

            if (holder is null)
            {
                return;
            }

            var scopes = holder is IFieldSymbol field2
                ? TypeDeclarations(field2)
                : LocalScope((ILocalSymbol)holder, context.CancellationToken);

            string? kind = null;
            var additional = new System.Collections.Generic.List<Location>();
            foreach (var scope in scopes)
            {
                foreach (var node in scope.DescendantNodesAndSelf())
                {
                    if (node is ArgumentSyntax { RefKindKeyword.RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.OutKeyword or (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.RefKeyword } byReference
                        && MayName(byReference.Expression, holder.Name))
                    {
                        // Written by a callee: of unknown kind.
                        return;
                    }

                    ExpressionSyntax? value = node switch
                    {
                        AssignmentExpressionSyntax assignment when (holder is IFieldSymbol ? MayName(assignment.Left, holder.Name) : PinnedObjectHeapSyntax.Names(assignment.Left, holder.Name)) => assignment.Right,
                        VariableDeclaratorSyntax { Initializer: { } initializer } declarator when declarator.Identifier.ValueText == holder.Name => initializer.Value,
                        _ => null,
                    };

                    if (value is null)
                    {
                        continue;
                    }

                    var allocated = AllocationKind(value, apis.GCHandle, invocation.SemanticModel, context.CancellationToken);
                    if (allocated is null or "Pinned")
                    {
                        // Pinned somewhere, or assigned something we cannot judge: stay silent.
                        return;
                    }

                    kind ??= allocated;
                    additional.Add(value.GetLocation());
                }
            }

            if (kind is null)
            {
                return;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.PIN1005AddressOfUnpinnedHandle,
                invocation.Syntax.GetLocation(),
                additional,
                holder.Name,
                kind));
        }

        /// <summary>"Normal", "Weak", "WeakTrackResurrection", "Pinned", or null when not a recognisable <c>GCHandle.Alloc</c>.</summary>
        private static string? AllocationKind(ExpressionSyntax value, INamedTypeSymbol gcHandle, SemanticModel? model, System.Threading.CancellationToken cancellationToken)
        {
            while (value is ParenthesizedExpressionSyntax parenthesized)
            {
                value = parenthesized.Expression;
            }

            if (value is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Alloc" } member } invocation)
            {
                return null;
            }

            if (model is not null && value.SyntaxTree == model.SyntaxTree)
            {
                // Same file: ask the compiler which method this is and what the handle type's value is, however it
                // is written (GCHandleType.Weak, a using static, a constant).
                if (model.GetOperation(invocation, cancellationToken) is not IInvocationOperation { TargetMethod: { Name: "Alloc" } method } allocation
                    || !SymbolEqualityComparer.Default.Equals(method.ContainingType, gcHandle))
                {
                    return null;
                }

                if (allocation.Arguments.Length == 1)
                {
                    return "Normal";
                }

                foreach (var argument in allocation.Arguments)
                {
                    if (argument.Parameter?.Type.Name == "GCHandleType")
                    {
                        return argument.Value.ConstantValue is { HasValue: true, Value: int kind } ? KindName(kind) : null;
                    }
                }

                return null;
            }
            else if (member.Expression.ToString() is not ("GCHandle" or "System.Runtime.InteropServices.GCHandle" or "global::System.Runtime.InteropServices.GCHandle"))
            {
                return null;
            }

            var arguments = invocation.ArgumentList.Arguments;
            if (arguments.Count == 1)
            {
                return "Normal";
            }

            if (arguments.Count != 2)
            {
                return null;
            }

            // The handle type is the argument named 'type', or else the second one.
            var type = arguments[0].NameColon?.Name.Identifier.ValueText == "type" ? arguments[0] : arguments[1];
            if (type.NameColon is { } name && name.Name.Identifier.ValueText != "type")
            {
                return null;
            }

            return type.Expression is MemberAccessExpressionSyntax written
                   && written.Expression.ToString().EndsWith("GCHandleType", System.StringComparison.Ordinal)
                   && written.Name.Identifier.ValueText is "Normal" or "Weak" or "WeakTrackResurrection" or "Pinned"
                ? written.Name.Identifier.ValueText
                : null;
        }

        private static string? KindName(int kind)
            => kind switch
            {
                0 => "Weak",
                1 => "WeakTrackResurrection",
                2 => "Normal",
                PinApis.GCHandleTypePinned => "Pinned",
                _ => null,
            };

        /// <summary>
        /// An assignment target that may be the holder: its name, <c>this.name</c>, or <c>other.name</c> (the same field
        /// of another instance of the type, which counts for "every allocation in the type").
        /// </summary>
        private static bool MayName(ExpressionSyntax target, string name)
            => target switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText == name,
                MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText == name,
                _ => false,
            };

        private static System.Collections.Generic.IEnumerable<SyntaxNode> TypeDeclarations(IFieldSymbol field)
        {
            foreach (var reference in field.ContainingType.DeclaringSyntaxReferences)
            {
                yield return reference.GetSyntax();
            }
        }

        private static System.Collections.Generic.IEnumerable<SyntaxNode> LocalScope(ILocalSymbol local, System.Threading.CancellationToken cancellationToken)
        {
            foreach (var reference in local.DeclaringSyntaxReferences)
            {
                // The local's scope is the block that declares it.
                var node = reference.GetSyntax(cancellationToken);
                while (node.Parent is not null && node is not BlockSyntax)
                {
                    node = node.Parent;
                }

                yield return node;
            }
        }
    }
}
