page 50110 "Scend Integration Setup"
{
    ApplicationArea = All;
    Caption = 'Scend Integration Setup';
    DeleteAllowed = false;
    InsertAllowed = false;
    PageType = Card;
    SourceTable = "Scend Integration Setup";
    UsageCategory = Administration;

    layout
    {
        area(Content)
        {
            group(StockAdjustments)
            {
                Caption = 'Stock Adjustments';

                field("Item Journal Template Name"; Rec."Item Journal Template Name")
                {
                    ApplicationArea = All;
                    ToolTip = 'Specifies the item journal template that stock adjustments from Scend are posted through.';
                }
                field("Item Journal Batch Name"; Rec."Item Journal Batch Name")
                {
                    ApplicationArea = All;
                    ToolTip = 'Specifies the item journal batch that stock adjustments from Scend are posted through. Its No. Series gives the Document No. of the adjustments.';
                }
                field("Default Reason Code"; Rec."Default Reason Code")
                {
                    ApplicationArea = All;
                    ToolTip = 'Specifies the reason code used when a stock adjustment from Scend arrives without one.';
                }
            }
        }
    }

    trigger OnOpenPage()
    begin
        Rec.Reset();
        if not Rec.Get() then begin
            Rec.Init();
            Rec.Insert();
        end;
    end;
}
