using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// <c>Nullable&lt;T&gt;</c> members under the can-throw policy (DESIGN.md): <c>HasValue</c> and
    /// <c>GetValueOrDefault</c> never throw; <c>Value</c> throws only when there is no value, so a read of
    /// <c>x.Value</c> guarded by a test of the same local or parameter (<c>x.HasValue</c>, <c>x != null</c>,
    /// <c>x is not null</c>, the false side of <c>x == null</c>, or after <c>if (x == null) return;</c>) with no write
    /// of <c>x</c> in between does not throw.
    /// </summary>
    /// <remarks>
    /// Read from syntax, because the control-flow graph lowers the branches away. Only locals and by-value
    /// parameters: a field may change between the test and the read. A guard counts only inside the same function
    /// (a lambda may run after <c>x</c> changed), and not when any lambda or local function of the member writes
    /// <c>x</c>, nor when <c>x</c> is aliased (<c>ref</c>, <c>out</c>, <c>&amp;x</c>) between the test and the read.
    /// </remarks>
    internal static class NullableReads
    {
        /// <summary>True when <paramref name="member"/> is a <c>Nullable&lt;T&gt;</c> member that cannot throw here.</summary>
        internal static bool CannotThrow(ISymbol member, IOperation? instance, SyntaxNode syntax)
        {
            if (member.ContainingType?.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T)
            {
                return false;
            }

            switch (member.Name)
            {
                case "HasValue" or "GetValueOrDefault":
                    return true;
                case "Value":
                    return instance switch
                    {
                        Microsoft.CodeAnalysis.Operations.ILocalReferenceOperation local when !local.Local.IsRef => IsGuarded(syntax, local.Local),
                        Microsoft.CodeAnalysis.Operations.IParameterReferenceOperation { Parameter.RefKind: RefKind.None or RefKind.In } parameter => IsGuarded(syntax, parameter.Parameter),
                        _ => false,
                    };
                default:
                    return false;
            }
        }

        private static bool IsGuarded(SyntaxNode read, ISymbol symbol)
        {
            if (read is not MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax receiver } || receiver.Identifier.ValueText != symbol.Name)
            {
                return false;
            }

            var name = symbol.Name;
            var declaredAt = symbol.DeclaringSyntaxReferences.Length > 0 ? symbol.DeclaringSyntaxReferences[0].Span.Start : -1;
            SyntaxNode child = read;
            for (var node = read.Parent; node is not null; child = node, node = node.Parent)
            {
                SyntaxNode? guard = null;
                switch (node)
                {
                    case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax or AccessorDeclarationSyntax:
                        return false;
                    case IfStatementSyntax branch when ReferenceEquals(child, branch.Statement) && HasValueWhen(branch.Condition, name, true):
                    case IfStatementSyntax { Else: { } } branch2 when ReferenceEquals(child, branch2.Else) && HasValueWhen(branch2.Condition, name, false):
                        guard = node;
                        break;
                    case ConditionalExpressionSyntax conditional when (ReferenceEquals(child, conditional.WhenTrue) && HasValueWhen(conditional.Condition, name, true))
                        || (ReferenceEquals(child, conditional.WhenFalse) && HasValueWhen(conditional.Condition, name, false)):
                        guard = node;
                        break;
                    case BinaryExpressionSyntax logical when ReferenceEquals(child, logical.Right)
                        && ((logical.IsKind(SyntaxKind.LogicalAndExpression) && HasValueWhen(logical.Left, name, true))
                            || (logical.IsKind(SyntaxKind.LogicalOrExpression) && HasValueWhen(logical.Left, name, false))):
                        guard = node;
                        break;
                    case BlockSyntax block when child is StatementSyntax statement:
                        guard = EarlyExit(block, statement, name);
                        break;
                }

                if (guard is not null && guard.SpanStart > declaredAt && !WrittenBetween(guard, read, name) && !WrittenByNestedFunction(read, name))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>An earlier statement of the block, <c>if (x == null) return;</c> (any jump), that leaves when there is no value.</summary>
        private static SyntaxNode? EarlyExit(BlockSyntax block, StatementSyntax statement, string name)
        {
            foreach (var earlier in block.Statements)
            {
                if (ReferenceEquals(earlier, statement))
                {
                    return null;
                }

                if (earlier is IfStatementSyntax { Else: null } branch && EndsInJump(branch.Statement) && HasValueWhen(branch.Condition, name, false))
                {
                    return earlier;
                }
            }

            return null;
        }

        private static bool EndsInJump(StatementSyntax statement)
            => statement switch
            {
                ReturnStatementSyntax or ThrowStatementSyntax or BreakStatementSyntax or ContinueStatementSyntax => true,
                BlockSyntax { Statements.Count: > 0 } block => EndsInJump(block.Statements[block.Statements.Count - 1]),
                _ => false,
            };

        /// <summary>True when <paramref name="condition"/> being <paramref name="when"/> means <c>name</c> has a value.</summary>
        private static bool HasValueWhen(ExpressionSyntax condition, string name, bool when)
        {
            switch (condition)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    return HasValueWhen(parenthesized.Expression, name, when);
                case PrefixUnaryExpressionSyntax prefix when prefix.IsKind(SyntaxKind.LogicalNotExpression):
                    return HasValueWhen(prefix.Operand, name, !when);
                case MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax receiver, Name.Identifier.ValueText: "HasValue" }:
                    return when && receiver.Identifier.ValueText == name;
                case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.LogicalAndExpression):
                    return when && (HasValueWhen(binary.Left, name, true) || HasValueWhen(binary.Right, name, true));
                case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.LogicalOrExpression):
                    return !when && (HasValueWhen(binary.Left, name, false) || HasValueWhen(binary.Right, name, false));
                case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.NotEqualsExpression) || binary.IsKind(SyntaxKind.EqualsExpression):
                    var comparesNull = (Is(binary.Left, name) && IsNull(binary.Right)) || (Is(binary.Right, name) && IsNull(binary.Left));
                    return comparesNull && (binary.IsKind(SyntaxKind.NotEqualsExpression) == when);
                case IsPatternExpressionSyntax { Pattern: { } pattern } test when Is(test.Expression, name):
                    return pattern switch
                    {
                        UnaryPatternSyntax { Pattern: ConstantPatternSyntax constant } not when not.IsKind(SyntaxKind.NotPattern) && IsNull(constant.Expression) => when,
                        ConstantPatternSyntax constant when IsNull(constant.Expression) => !when,
                        RecursivePatternSyntax { Designation: null, Type: null } => when,
                        _ => false,
                    };
                default:
                    return false;
            }
        }

        private static bool Is(ExpressionSyntax expression, string name)
            => expression is IdentifierNameSyntax identifier && identifier.Identifier.ValueText == name;

        private static bool IsNull(ExpressionSyntax expression)
            => expression.IsKind(SyntaxKind.NullLiteralExpression);

        /// <summary>An assignment to <c>name</c>, or <c>ref</c>/<c>out</c>/<c>&amp;</c> of it, from the guard to the read.</summary>
        private static bool WrittenBetween(SyntaxNode guard, SyntaxNode read, string name)
        {
            foreach (var node in guard.DescendantNodes())
            {
                if (node.SpanStart >= read.SpanStart)
                {
                    break;
                }

                if (Writes(node, name))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool WrittenByNestedFunction(SyntaxNode read, string name)
        {
            SyntaxNode? member = null;
            for (var node = read.Parent; node is not null; node = node.Parent)
            {
                if (node is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax)
                {
                    member = node;
                    break;
                }
            }

            if (member is null)
            {
                return true;
            }

            foreach (var node in member.DescendantNodes())
            {
                if (node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                {
                    foreach (var inner in node.DescendantNodes())
                    {
                        if (Writes(inner, name))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }

        private static bool Writes(SyntaxNode node, string name)
            => node switch
            {
                AssignmentExpressionSyntax assignment => Is(assignment.Left, name),
                ArgumentSyntax { RefKindKeyword.RawKind: not 0 } argument => Is(argument.Expression, name),
                RefExpressionSyntax reference => Is(reference.Expression, name),
                PrefixUnaryExpressionSyntax prefix => Is(prefix.Operand, name) && !prefix.IsKind(SyntaxKind.LogicalNotExpression),
                PostfixUnaryExpressionSyntax postfix => Is(postfix.Operand, name),
                _ => false,
            };
    }
}
