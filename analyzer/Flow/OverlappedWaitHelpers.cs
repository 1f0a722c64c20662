using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// One-level summaries of source methods that wait for an overlapped request they are handed: a parameter that is the
    /// OVERLAPPED of <c>GetOverlappedResult(handle, overlapped, out n, true)</c> (or <c>WSAGetOverlappedResult</c> with
    /// <c>fWait</c> TRUE) at the top level of the method's body, reached on every normal path — no <c>return</c>, label
    /// or <c>goto</c> before it. That is the shape of the shared "wait or cancel, then get the result" helper of Windows
    /// device and serial-port code, and a call of it finishes the request like the wait written in place.
    /// </summary>
    /// <remarks>
    /// Read from syntax, once per parameter per compilation (symbols are the compilation's own objects, so a weak table
    /// keyed on them lives exactly as long). Anything else — async or iterator methods, a wait inside a branch or a loop,
    /// a timeout — is not a summary: the caller's request stays pending, as it would without the helper.
    /// </remarks>
    internal static class OverlappedWaitHelpers
    {
        private static readonly ConditionalWeakTable<IParameterSymbol, StrongBox<bool>> s_waits = new();

        internal static bool Waits(IParameterSymbol parameter)
            => s_waits.GetValue(parameter.OriginalDefinition, p => new StrongBox<bool>(Compute(p))).Value;

        private static bool Compute(IParameterSymbol parameter)
        {
            if (parameter.ContainingSymbol is not IMethodSymbol method || method.IsAsync || method.IsAbstract || method.IsExtern
                || (method.IsVirtual && !method.IsSealed) || method.DeclaringSyntaxReferences.Length != 1)
            {
                return false;
            }

            var body = method.DeclaringSyntaxReferences[0].GetSyntax() switch
            {
                BaseMethodDeclarationSyntax declaration => declaration.Body,
                LocalFunctionStatementSyntax local => local.Body,
                _ => null,
            };

            if (body is null)
            {
                return false;
            }

            foreach (var statement in body.Statements)
            {
                if (WaitsFor(statement, parameter.Name))
                {
                    return true;
                }

                if (MayLeaveOrJump(statement))
                {
                    return false;
                }
            }

            return false;
        }

        /// <summary>A top-level statement whose evaluation always runs the wait: the call itself, its assignment, an if on it.</summary>
        private static bool WaitsFor(StatementSyntax statement, string parameter)
        {
            var expression = statement switch
            {
                ExpressionStatementSyntax expressionStatement => expressionStatement.Expression,
                IfStatementSyntax ifStatement => ifStatement.Condition,
                LocalDeclarationStatementSyntax { Declaration.Variables: { Count: 1 } variables } => variables[0].Initializer?.Value,
                _ => null,
            };

            while (true)
            {
                switch (expression)
                {
                    case ParenthesizedExpressionSyntax parenthesized:
                        expression = parenthesized.Expression;
                        continue;
                    case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression } not:
                        expression = not.Operand;
                        continue;
                    case AssignmentExpressionSyntax assignment:
                        expression = assignment.Right;
                        continue;
                    case InvocationExpressionSyntax invocation:
                        return IsWait(invocation, parameter);
                    default:
                        return false;
                }
            }
        }

        private static bool IsWait(InvocationExpressionSyntax invocation, string parameter)
        {
            var name = invocation.Expression switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
                _ => null,
            };

            var arguments = invocation.ArgumentList.Arguments;
            return name is "GetOverlappedResult" or "WSAGetOverlappedResult"
                && arguments.Count >= 4
                && arguments[1].Expression is IdentifierNameSyntax overlapped && overlapped.Identifier.ValueText == parameter
                && arguments[3].Expression is LiteralExpressionSyntax wait
                && (wait.IsKind(SyntaxKind.TrueLiteralExpression) || (wait.IsKind(SyntaxKind.NumericLiteralExpression) && wait.Token.Value is int one && one == 1));
        }

        /// <summary>A return, label or goto out of a statement (not in a nested function): later statements may not run.</summary>
        private static bool MayLeaveOrJump(StatementSyntax statement)
        {
            foreach (var node in statement.DescendantNodesAndSelf(descendIntoChildren: child => child is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
            {
                switch (node)
                {
                    case ReturnStatementSyntax or LabeledStatementSyntax or YieldStatementSyntax:
                        return true;
                    case GotoStatementSyntax jump when jump.IsKind(SyntaxKind.GotoStatement):
                        return true;
                }
            }

            return false;
        }
    }
}
