/// <summary>API page receiptConfirmationLines (docs/bc-extension-api.md §5): the order lines received.</summary>
page 50116 "Scend Receipt Conf. Lines"
{
    APIGroup = 'warehouse';
    APIPublisher = 'scendIntegration';
    APIVersion = 'v1.0';
    DelayedInsert = true;
    EntityCaption = 'Receipt Confirmation Line';
    EntityName = 'receiptConfirmationLine';
    EntitySetCaption = 'Receipt Confirmation Lines';
    EntitySetName = 'receiptConfirmationLines';
    Extensible = false;
    ODataKeyFields = SystemId;
    PageType = API;
    SourceTable = "Scend Receipt Conf. Line";

    layout
    {
        area(Content)
        {
            repeater(Records)
            {
                field(id; Rec.SystemId)
                {
                    Caption = 'Id';
                    Editable = false;
                }
                field(documentId; Rec."Document Id")
                {
                    Caption = 'Document Id';
                }
                field(sequence; Rec."Line No.")
                {
                    Caption = 'Sequence';
                }
                field(purchaseOrderLineId; Rec."Purchase Order Line Id")
                {
                    Caption = 'Purchase Order Line Id';
                }
                field(itemNumber; Rec."Item No.")
                {
                    Caption = 'Item No.';
                    Editable = false;
                }
                field(quantity; Rec.Quantity)
                {
                    Caption = 'Quantity';
                }
            }
        }
    }

    trigger OnInsertRecord(BelowxRec: Boolean): Boolean
    begin
        // Lines deep-inserted with a repeated create (contract §2.1) are ignored.
        if ScendCreateGuard.IsRepeated(Rec."Document Id") then
            exit(false);
        exit(true);
    end;

    trigger OnModifyRecord(): Boolean
    begin
        Rec.TestInsertOnlyFields(xRec);
        exit(true);
    end;

    var
        ScendCreateGuard: Codeunit "Scend Create Guard";
}
